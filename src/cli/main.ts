// The CLI: parse with yargs, call one library function, render. One error boundary maps
// typed errors to `error[CODE]: message` and exit codes (0 ok, 1 failed, 2 usage).
import yargs from 'yargs';
import { MlmetaError, isMlmetaError } from '../errors.js';
import { printable } from '../render/safe.js';
import { aliasCommand } from './commands/alias.js';
import { attestCommand } from './commands/attest.js';
import { auditCommand } from './commands/audit.js';
import { catCommand } from './commands/cat.js';
import { demoCommand } from './commands/demo.js';
import { diffCommand } from './commands/diff.js';
import { exportCommand } from './commands/export.js';
import { findCommand } from './commands/find.js';
import { importCommand } from './commands/import.js';
import { lineageCommand } from './commands/lineage.js';
import { initCommand } from './commands/init.js';
import { logCommand } from './commands/log.js';
import { recordCommand } from './commands/record.js';
import { reproduceCommand } from './commands/reproduce.js';
import { runCommand } from './commands/run.js';
import { showCommand } from './commands/show.js';
import { signCommand } from './commands/sign.js';
import { statusCommand } from './commands/status.js';
import { cloneCommand, pullCommand, pushCommand } from './commands/sync.js';
import { verifyCommand } from './commands/verify.js';
import { whichCommand } from './commands/which.js';
import { uiCommand } from './commands/ui.js';
import type { GlobalArgs } from './context.js';

/**
 * A reader that goes away (`mlmeta log | head -1`) makes the next write fail with EPIPE,
 * which Node raises as an unhandled 'error' event: a stack trace. The output is simply
 * not wanted any more, so it is dropped and the command ends as it would have, quietly,
 * with its own exit code. Installed once per process (main may run many times in tests).
 */
let pipesGuarded = false;
function guardClosedPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
      // Any other write failure (a full disk under `> file`) is one line, not a trace.
      if (stream !== process.stderr) try { process.stderr.write(`error[E_IO]: cannot write the output: ${err.code ?? err.message}\n`); } catch { /* nowhere to say it */ }
      process.exit(1);
    });
  }
}

/** One line per error, whatever the message holds (it may quote names from records). */
/** The package version, put in by the build (scripts/build.mjs); 'dev' when run from source. */
declare const MLMETA_VERSION: string | undefined;

export function reportError(e: unknown, debug: boolean): number {
  if (isMlmetaError(e)) {
    process.stderr.write(`error[${e.code}]: ${printable(e.message)}\n`);
    if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  const err = e as NodeJS.ErrnoException;
  process.stderr.write(`error[E_INTERNAL]: ${printable(err?.message ?? String(e))}\n`);
  if (debug && err?.stack) process.stderr.write(`${err.stack}\n`);
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  const debug = process.env.MLMETA_DEBUG === '1';
  guardClosedPipes();
  try {
    const y = yargs(argv);
    // yargs renders the whole help text after every successful command, "in case" it is
    // shown later; a CLI that exits after one command never shows it (~10–30 ms saved).
    const internal = (y as unknown as { getInternalMethods?: () => { getUsageInstance: () => { cacheHelpMessage: () => void } } }).getInternalMethods?.();
    if (internal) internal.getUsageInstance().cacheHelpMessage = () => {};
    await y
      .scriptName('mlmeta')
      .usage('$0 <command> [options]\n\nWhat made this model? Offline, verifiable lineage in your git repo.')
      .option('store', { type: 'string', global: true, describe: 'the .mlmeta folder to use (also MLMETA_DIR)' })
      .option('json', { type: 'boolean', global: true, describe: 'machine-readable output' })
      .command(initCommand)
      .command(recordCommand)
      .command(runCommand)
      .command(showCommand)
      .command(catCommand)
      .command(logCommand)
      .command(lineageCommand)
      .command(diffCommand)
      .command(findCommand)
      .command(aliasCommand)
      .command(verifyCommand)
      .command(statusCommand)
      .command(pushCommand)
      .command(pullCommand)
      .command(cloneCommand)
      .command(demoCommand)
      .command(whichCommand)
      .command(signCommand)
      .command(auditCommand)
      .command(reproduceCommand)
      .command(attestCommand)
      .command(importCommand)
      .command(exportCommand)
      .command(uiCommand)
      .demandCommand(1, 'name a command; see mlmeta --help')
      .strict()
      .recommendCommands()
      .help()
      .version(typeof MLMETA_VERSION === 'string' ? MLMETA_VERSION : 'dev')
      .wrap(Math.min(100, process.stdout.columns || 100))
      .fail((msg, err) => {
        // yargs' own parse errors (YError, e.g. a flag missing its value) are usage errors too
        if (err && err.name !== 'YError') throw err;
        throw new MlmetaError('E_USAGE', msg ?? err?.message ?? 'bad command line');
      })
      .parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return reportError(e, debug);
  }
}

// Keep a GlobalArgs import alive for commands' typing.
export type { GlobalArgs };

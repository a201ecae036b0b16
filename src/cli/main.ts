// The CLI: parse with yargs, call one library function, render. One error boundary maps
// typed errors to `error[CODE]: message` and exit codes (0 ok, 1 failed, 2 usage).
//
// Start-up: each command's module (and what it imports: the store, the index, git capture…)
// is loaded only when that command runs. The command word is read off the arguments first
// and only its module is given to yargs; help, an unknown word or no word load them all,
// so help, suggestions and errors read as before. A new command is one line in COMMANDS.
import yargs from 'yargs';
import { MlmetaError, isMlmetaError } from '../errors.js';
import { printable } from '../render/safe.js';
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './context.js';

type Loaded = CommandModule<GlobalArgs, never>;

/** Every command: its word, and its module, loaded on demand (esbuild keeps each lazy in the bundle). */
const COMMANDS: Array<[word: string, load: () => Promise<Loaded>]> = [
  ['init', async () => (await import('./commands/init.js')).initCommand as Loaded],
  ['record', async () => (await import('./commands/record.js')).recordCommand as Loaded],
  ['run', async () => (await import('./commands/run.js')).runCommand as Loaded],
  ['show', async () => (await import('./commands/show.js')).showCommand as Loaded],
  ['cat', async () => (await import('./commands/cat.js')).catCommand as Loaded],
  ['log', async () => (await import('./commands/log.js')).logCommand as Loaded],
  ['lineage', async () => (await import('./commands/lineage.js')).lineageCommand as Loaded],
  ['diff', async () => (await import('./commands/diff.js')).diffCommand as Loaded],
  ['find', async () => (await import('./commands/find.js')).findCommand as Loaded],
  ['alias', async () => (await import('./commands/alias.js')).aliasCommand as Loaded],
  ['verify', async () => (await import('./commands/verify.js')).verifyCommand as Loaded],
  ['status', async () => (await import('./commands/status.js')).statusCommand as Loaded],
  ['push', async () => (await import('./commands/sync.js')).pushCommand as Loaded],
  ['pull', async () => (await import('./commands/sync.js')).pullCommand as Loaded],
  ['clone', async () => (await import('./commands/sync.js')).cloneCommand as Loaded],
  ['demo', async () => (await import('./commands/demo.js')).demoCommand as Loaded],
  ['which', async () => (await import('./commands/which.js')).whichCommand as Loaded],
  ['sign', async () => (await import('./commands/sign.js')).signCommand as Loaded],
  ['audit', async () => (await import('./commands/audit.js')).auditCommand as Loaded],
  ['reproduce', async () => (await import('./commands/reproduce.js')).reproduceCommand as Loaded],
  ['attest', async () => (await import('./commands/attest.js')).attestCommand as Loaded],
  ['import', async () => (await import('./commands/import.js')).importCommand as Loaded],
  ['export', async () => (await import('./commands/export.js')).exportCommand as Loaded],
  ['ui', async () => (await import('./commands/ui.js')).uiCommand as Loaded],
];

/** Global options that take a value (the word after them is not the command). */
const GLOBAL_WITH_VALUE = new Set(['--store']);

/**
 * The modules yargs needs for this command line: the named command's alone, none for a bare
 * `--version`, every one otherwise (help, a typo to suggest for, no command).
 */
async function commandsFor(argv: string[]): Promise<Loaded[]> {
  let word: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (GLOBAL_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-')) {
      word = a;
      break;
    }
  }
  // `run -- python train.py --help` asks the command for help, not mlmeta
  const end = argv.indexOf('--');
  const wantsHelp = (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
  const one = word !== undefined && !wantsHelp ? COMMANDS.find(([w]) => w === word) : undefined;
  if (one) return [await one[1]()];
  if (word === undefined && !wantsHelp && argv.includes('--version')) return [];
  return Promise.all(COMMANDS.map(([, load]) => load()));
}

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
    y.scriptName('mlmeta')
      .usage('$0 <command> [options]\n\nWhat made this model? Offline, verifiable lineage in your git repo.')
      .option('store', { type: 'string', global: true, describe: 'the .mlmeta folder to use (also MLMETA_DIR)' })
      .option('json', { type: 'boolean', global: true, describe: 'machine-readable output' });
    for (const c of await commandsFor(argv)) y.command(c);
    await y
      .demandCommand(1, 'name a command; see mlmeta --help')
      .strict()
      .recommendCommands()
      .help()
      .version(typeof MLMETA_VERSION === 'string' ? MLMETA_VERSION : 'dev')
      // help and --version return here like any command (yargs would exit the process), so
      // bin/mlmeta.js writes their code cache too
      .exitProcess(false)
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

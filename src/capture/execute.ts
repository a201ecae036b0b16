// Run the command of `mlmeta run`, passing on the signals meant for it exactly once.
//
// Ctrl-C at a terminal sends SIGINT to every process in the terminal's foreground process
// group. The command runs in mlmeta's own group, so when mlmeta is in the foreground the
// command got that SIGINT already; forwarding it too would deliver it twice (a second
// KeyboardInterrupt aborts a checkpoint save in a Python `finally:`). Whether we are in the
// foreground is asked of the kernel when the signal arrives (/proc/self/stat: our process
// group against the terminal's foreground group), not guessed from stdin: `< /dev/null` at
// a terminal still gets Ctrl-C. A SIGINT while mlmeta is not in the foreground (no
// terminal, a background job) and SIGTERM/SIGHUP are passed on once. A signal does not say
// who sent it, so a `kill -INT` aimed at mlmeta alone while it is in the foreground is taken
// for Ctrl-C and not forwarded: use SIGTERM to stop a run from outside.
import { spawn, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import { MlmetaError } from '../errors.js';

/** inherit: the command shares our terminal; ignore: no input or output; stderr: its stdout goes to our stderr (fd 2), e.g. under `--json`. */
export type ExecuteStdio = 'inherit' | 'ignore' | 'stderr';

const STDIO: Record<ExecuteStdio, StdioOptions> = {
  inherit: 'inherit',
  ignore: 'ignore',
  stderr: [0, 2, 2],
};

/**
 * Is this process in its controlling terminal's foreground process group? From
 * /proc/self/stat fields 5 (pgrp) and 8 (tpgid; -1 without a terminal). Where /proc is not
 * there, being attached to a terminal at all is the best guess.
 */
export function inForeground(): boolean {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    // Field 2 (the command name) is in parentheses and may hold spaces: count after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]); // field 5
    const tpgid = Number(fields[5]); // field 8
    return tpgid > 0 && tpgid === pgrp;
  } catch {
    return process.stdin.isTTY === true || process.stdout.isTTY === true || process.stderr.isTTY === true;
  }
}

export function execute(command: string[], cwd: string, stdio: ExecuteStdio, env?: NodeJS.ProcessEnv): Promise<{ code: number; signal?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd, stdio: STDIO[stdio], env });
    const forward = (sig: NodeJS.Signals) => () => {
      if (!(sig === 'SIGINT' && inForeground())) child.kill(sig);
    };
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    const done = () => { for (const [s, h] of handlers) process.off(s, h); };
    child.on('error', (e) => {
      done();
      const code = (e as NodeJS.ErrnoException).code;
      reject(new MlmetaError('E_COMMAND_FAILED', `cannot start ${JSON.stringify(command[0])}: ${code === 'ENOENT' ? 'command not found' : code ?? e.message}`));
    });
    child.on('exit', (code, signal) => {
      done();
      resolve(signal ? { code: 128 + (osConstants.signals[signal] ?? 0), signal } : { code: code ?? 1 });
    });
  });
}

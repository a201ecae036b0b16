// One way to run the external tools the trust story leans on (git, ssh-keygen): argv only,
// no shell, output captured; a tool that is not installed is a clear error, not a crash.
import { spawnSync } from 'node:child_process';
import { MlmetaError, type ErrorCode } from '../errors.js';

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runTool(cmd: string, args: string[], opts: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv; code?: ErrorCode } = {}): ToolResult {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    input: opts.input,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) {
    const errno = (r.error as NodeJS.ErrnoException).code;
    throw new MlmetaError(opts.code ?? 'E_IO', errno === 'ENOENT' ? `${cmd} is not installed or not on the PATH` : `cannot run ${cmd}: ${errno ?? r.error.message}`);
  }
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The tool's own words: its last non-empty stderr line, without control characters. */
export function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines[lines.length - 1] ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

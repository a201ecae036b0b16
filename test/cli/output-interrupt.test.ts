// One Ctrl-C reaches the command of `mlmeta run` exactly once, also with stdin redirected
// (`< /dev/null` at a terminal). Real pseudo-terminals (python3's pty module), real
// signals: the command counts the SIGINTs it receives and prints the count.
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BIN, ok } from '../helpers/cli.js';
import { gitEnv, tempDir, write } from '../helpers/dirs.js';

const dir = tempDir('mlmeta-interrupt-');

// Counts SIGINTs; reports once none came for 1 s after the first (or after 15 s).
const counter = write(dir, 'counter.cjs', `
let n = 0;
let last = 0;
process.on('SIGINT', () => { n++; last = Date.now(); });
console.log('ready');
const start = Date.now();
const poll = setInterval(() => {
  if (Date.now() - start < 15000 && (n === 0 || Date.now() - last < 1000)) return;
  clearInterval(poll);
  console.log('sigints ' + n);
}, 20);
`);

// Ctrl-C is typed this many times, 300 ms apart: a second delivery of the same signal can
// merge with the first while still pending, so one press alone could hide a double delivery.
const PRESSES = 3;

// Runs argv as the session leader of a new pseudo-terminal (so in its foreground process
// group), stdin from /dev/null; types Ctrl-C argv[1] times once "ready" shows; prints what it wrote.
const ptyDriver = write(dir, 'pty_ctrl_c.py', `
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.dup2(os.open('/dev/null', os.O_RDONLY), 0)
    os.execvp(sys.argv[2], sys.argv[2:])
presses = int(sys.argv[1])
out, sent, next_press, deadline = b'', 0, 0.0, time.time() + 40
while time.time() < deadline:
    if select.select([fd], [], [], 0.1)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if sent < presses and b'ready' in out and time.time() >= next_press:
        os.write(fd, b'\\x03')
        sent += 1
        next_press = time.time() + 0.3
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.stdout.write('\\nsent %d status %d\\n' % (sent, os.waitstatus_to_exitcode(status)))
`);

// execute() of src/capture/execute.ts in a process of its own: argv[2] is the stdio mode.
const driverSrc = write(dir, 'driver.ts', `
import { execute } from ${JSON.stringify(fileURLToPath(new URL('../../src/capture/execute.ts', import.meta.url)))};
const [mode, ...command] = process.argv.slice(2);
const r = await execute(command, process.cwd(), mode as 'inherit' | 'ignore' | 'stderr');
process.stdout.write('exit ' + JSON.stringify(r) + '\\n');
`);
const driver = path.join(dir, 'driver.mjs');
buildSync({ entryPoints: [driverSrc], bundle: true, platform: 'node', format: 'esm', outfile: driver, logLevel: 'error' });

function inPty(argv: string[], cwd = dir): string {
  const r = spawnSync('python3', [ptyDriver, String(PRESSES), ...argv], { cwd, encoding: 'utf8', env: { ...process.env, ...gitEnv, MLMETA_DIR: '' }, timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.replace(/\r/g, '');
}

/** Start argv without a terminal, send SIGINT to it (not to the command) once the command is ready. */
async function interruptWithoutTerminal(argv: string[]): Promise<string> {
  const child = spawn(process.execPath, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let signalled = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s: string) => {
    out += s;
    if (!signalled && out.includes('ready')) {
      signalled = true;
      child.kill('SIGINT');
    }
  });
  await new Promise((resolve) => child.on('close', resolve));
  return out;
}

describe('Ctrl-C reaches the command once', () => {
  it('execute(): at a terminal with stdin from /dev/null, each Ctrl-C arrives once (the terminal delivers it; mlmeta does not forward it)', () => {
    const out = inPty([process.execPath, driver, 'inherit', process.execPath, counter]);
    expect(out).toMatch(/sent 3 status 0/);
    expect(out).toMatch(/sigints 3$/m);
    expect(out).toMatch(/^exit \{"code":0\}$/m);
  });

  it('execute(): a SIGINT sent to mlmeta alone (no terminal) is forwarded, once', async () => {
    const out = await interruptWithoutTerminal([driver, 'inherit', process.execPath, counter]);
    expect(out).toMatch(/^sigints 1$/m);
    expect(out).toMatch(/^exit \{"code":0\}$/m);
  });

  it("execute(): 'stderr' mode sends the command's stdout to our stderr", () => {
    const r = spawnSync(process.execPath, [driver, 'stderr', process.execPath, '-e', 'console.log("from the command")'], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout).toBe('exit {"code":0}\n');
    expect(r.stderr).toBe('from the command\n');
  });

  // Passes once src/api/run.ts uses execute() from src/capture/execute.ts (before: up to 2 per press).
  it('mlmeta run: each Ctrl-C at a terminal with stdin from /dev/null gives the command one SIGINT', () => {
    const repo = tempDir('mlmeta-interrupt-run-');
    ok(repo, ['init']);
    const out = inPty([process.execPath, BIN, 'run', '--code', 'none', '--env', 'none', '--', process.execPath, counter], repo);
    expect(out).toMatch(/sent 3 status 0/);
    expect(out).toMatch(/sigints 3$/m);
  });
});

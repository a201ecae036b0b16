// The lock file of lock.ts with real processes: racers that increment a shared counter
// lose updates without it and none with it; stale locks of dead writers are broken, a
// live-looking foreign writer's lock is waited for, and a planted symlink is never written
// through.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, withLock } from '../../src/store/lock.js';
import { writerTag } from '../../src/store/writer.js';
import { tempDir } from '../helpers/dirs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let worker = '';

beforeAll(async () => {
  worker = path.join(tempDir('mlmeta-lockworker-'), 'lock-worker.cjs');
  await build({ entryPoints: [path.join(here, 'lock-worker.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: worker, logLevel: 'warning' });
});

/** Run `n` racers to completion; resolves with their exit codes. */
function race(n: number, lock: string, counter: string, count: number, mode: 'lock' | 'nolock'): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, () => new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [worker, lock, counter, String(count), mode], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => resolve(code ?? -1));
  })));
}

/** A pid that existed and is gone (the process has exited and been reaped). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

describe('lock file', () => {
  it('8 processes incrementing a counter 50 times each: exact under the lock, lost updates without it', async () => {
    const dir = tempDir();
    const counter = path.join(dir, 'counter');
    const lock = path.join(dir, 'locks', 'counter.lock');

    fs.writeFileSync(counter, '0');
    expect(await race(8, lock, counter, 50, 'nolock')).toEqual(Array(8).fill(0));
    // the race is real: without the lock, updates are lost
    expect(Number(fs.readFileSync(counter, 'utf8'))).toBeLessThan(400);

    fs.writeFileSync(counter, '0');
    expect(await race(8, lock, counter, 50, 'lock')).toEqual(Array(8).fill(0));
    expect(Number(fs.readFileSync(counter, 'utf8'))).toBe(400);
    expect(fs.readdirSync(path.dirname(lock))).toEqual([]);
  }, 120_000);

  it('breaks the lock of a dead writer of our own tag at once', () => {
    const lock = path.join(tempDir(), 'write.lock');
    fs.writeFileSync(lock, `${writerTag()} ${deadPid()} ${Date.now()}\n`);
    const t0 = Date.now();
    const release = acquireLock(lock, { waitMs: 5_000 });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(fs.readFileSync(lock, 'utf8')).toMatch(new RegExp(`^${writerTag()} ${process.pid} \\d+\n$`));
    release();
    expect(fs.existsSync(lock)).toBe(false);
  });

  it("waits for a foreign writer's lock younger than staleMs (its pid cannot be checked), then E_LOCKED", () => {
    const lock = path.join(tempDir(), 'write.lock');
    const foreign = writerTag() === 'ffffffff' ? 'eeeeeeee' : 'ffffffff';
    const held = `${foreign} ${deadPid()} ${Date.now()}\n`;
    fs.writeFileSync(lock, held);
    const t0 = Date.now();
    expect(code(() => acquireLock(lock, { waitMs: 300, staleMs: 60_000 }))).toBe('E_LOCKED');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(fs.readFileSync(lock, 'utf8')).toBe(held);
    // older than staleMs: broken whoever holds it
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(lock, old, old);
    const holder = withLock(lock, () => fs.readFileSync(lock, 'utf8'), { waitMs: 2_000, staleMs: 60_000 });
    expect(holder).toMatch(new RegExp(`^${writerTag()} ${process.pid} `));
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('a folder or FIFO planted at the lock path is waited for while fresh, then removed; never blocked on or spun over', () => {
    for (const plant of [(f: string) => { fs.mkdirSync(f); fs.writeFileSync(path.join(f, 'x'), 'x'); }, (f: string) => execFileSync('mkfifo', [f])]) {
      const lock = path.join(tempDir(), 'write.lock');
      plant(lock);
      const t0 = process.cpuUsage();
      expect(code(() => acquireLock(lock, { waitMs: 300 }))).toBe('E_LOCKED');
      // waited, not spun (a FIFO opened for reading used to block forever here)
      const used = process.cpuUsage(t0);
      expect((used.user + used.system) / 1000).toBeLessThan(200);
      const old = new Date(Date.now() - 60_000);
      fs.utimesSync(lock, old, old);
      expect(withLock(lock, () => fs.lstatSync(lock).isFile(), { waitMs: 2_000 })).toBe(true);
      expect(fs.existsSync(lock)).toBe(false);
    }
  });

  it('never writes through a symlink planted at the lock path', () => {
    const dir = tempDir();
    const target = path.join(tempDir(), 'victim');
    fs.writeFileSync(target, 'precious\n');
    const dangling = path.join(tempDir(), 'would-be-created');
    const lock = path.join(dir, 'write.lock');
    fs.symlinkSync(target, lock);
    // a fresh entry that cannot be read: waited for (it may be a lock being written) ...
    expect(code(() => acquireLock(lock, { waitMs: 200 }))).toBe('E_LOCKED');
    expect(fs.readFileSync(target, 'utf8')).toBe('precious\n');
    // ... and once old, removed (the link itself) and replaced by a real lock file
    const old = new Date(Date.now() - 60_000);
    fs.lutimesSync(lock, old, old);
    expect(withLock(lock, () => fs.lstatSync(lock).isFile(), { waitMs: 2_000 })).toBe(true);
    expect(fs.readFileSync(target, 'utf8')).toBe('precious\n');
    expect(fs.existsSync(lock)).toBe(false);
    // a dangling link: O_EXCL does not create its target
    fs.symlinkSync(dangling, lock);
    expect(code(() => acquireLock(lock, { waitMs: 200 }))).toBe('E_LOCKED');
    expect(fs.existsSync(dangling)).toBe(false);
  });

  // a tmpfs needs root; CI runs as root (see test/trust/faults.test.ts)
  it.runIf(process.getuid?.() === 0 || Boolean(process.env.CI))('a full disk: E_IO, and no empty lock left to block everyone', () => {
    const disk = tempDir('mlmeta-disk-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]);
    try {
      try { execFileSync('dd', ['if=/dev/zero', `of=${path.join(disk, 'filler')}`, 'bs=4k'], { stdio: 'ignore' }); } catch { /* ENOSPC expected */ }
      const lock = path.join(disk, 'write.lock');
      expect(code(() => acquireLock(lock, { waitMs: 100 }))).toBe('E_IO');
      expect(fs.existsSync(lock)).toBe(false);
      fs.rmSync(path.join(disk, 'filler'));
      acquireLock(lock, { waitMs: 100 })();
    } finally {
      execFileSync('umount', ['-l', disk]);
    }
  });
});

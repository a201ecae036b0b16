// Scanning across threads: the built worker (dist/hash-worker.js) gives the same hashes as
// the calling thread, answers unchanged files from its own read of the stat cache, hands a
// file it cannot do back to the calling thread, and the CLI's manifest of many files matches
// `sha256sum`.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hashFile } from '../../src/capture/hash-file.js';
import { ScanPool, type PoolAnswer } from '../../src/capture/hash-pool.js';
import { HASHED, HIT } from '../../src/capture/scan-file.js';
import { StatCache } from '../../src/capture/stat-cache.js';
import { mlmeta, ok } from '../helpers/cli.js';
import { gitRepo, snapshot, tempDir, write } from '../helpers/dirs.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/hash-worker.js');

function files(n: number): string[] {
  const root = tempDir('mlmeta-pool-');
  const old = new Date(Date.now() - 60_000);
  return Array.from({ length: n }, (_, i) => {
    const f = write(root, `d${i % 7}/f${i}.bin`, Buffer.alloc(i * 37, i & 255));
    fs.utimesSync(f, old, old);
    return f;
  });
}

async function scan(paths: Array<string | Buffer>, cacheFile?: string): Promise<{ got: Map<number, PoolAnswer>; redo: number[] }> {
  const got = new Map<number, PoolAnswer>();
  const redo: number[] = [];
  const twice: number[] = [];
  const pool = new ScanPool(cacheFile, (i, a) => {
    if (got.has(i)) twice.push(i);
    got.set(i, a);
  }, (i) => redo.push(i), WORKER);
  try {
    expect(pool.start()).toBe(true);
    paths.forEach((p) => pool.add(p, false, typeof p === 'string' ? null : p.toString()));
    await pool.drain();
    expect(twice).toEqual([]);
  } finally {
    await pool.close();
  }
  return { got, redo };
}

describe('the scanning threads', () => {
  it('hash every file once, as the calling thread does, reporting a moment before the read', async () => {
    expect(fs.existsSync(WORKER)).toBe(true);
    const paths = files(1300);
    const before = Date.now();
    const { got, redo } = await scan(paths);
    expect(redo).toEqual([]);
    expect(got.size).toBe(1300);
    for (const [i, a] of got) {
      const mine = hashFile(paths[i]!);
      expect(a.code).toBe(HASHED);
      if (a.code !== HASHED) continue;
      expect([a.sha256, a.size, a.stat.size, a.stat.ino, a.stat.mtimeMs, a.stat.ctimeMs]).toEqual([mine.sha256, mine.size, mine.stat.size, mine.stat.ino, mine.stat.mtimeMs, mine.stat.ctimeMs]);
      expect(a.hashedAt).toBeGreaterThanOrEqual(before);
      expect(a.hashedAt).toBeLessThanOrEqual(Date.now());
    }
  });

  it('answer unchanged files from the stat cache file they read, and hash a changed one', async () => {
    // three batches: the thread takes the first two, the calling thread scans the last
    const paths = files(1300);
    const dir = tempDir();
    const cache = new StatCache(dir);
    for (const p of paths) cache.set(p, fs.statSync(p), hashFile(p).sha256, Date.now());
    // planted answers only the cache can give, one in the thread's batch, one in the caller's
    for (const i of [10, 1290]) cache.set(paths[i]!, fs.statSync(paths[i]!), 'cd'.repeat(32), Date.now());
    cache.save();
    for (const i of [20, 1295]) fs.appendFileSync(paths[i]!, 'more');
    const { got } = await scan(paths, cache.file);
    for (const i of [10, 1290]) expect(got.get(i)).toEqual({ code: HIT, sha256: 'cd'.repeat(32), size: fs.statSync(paths[i]!).size });
    for (const i of [20, 1295]) {
      expect(got.get(i)!.code).toBe(HASHED);
      expect(got.get(i)!.sha256).toBe(hashFile(paths[i]!).sha256);
    }
    expect([...got.values()].filter((a) => a.code === HIT).length).toBe(1298);
  });

  it('hand a file they cannot do back to the calling thread', async () => {
    const paths = files(400);
    fs.rmSync(paths[321]!);
    const { got, redo } = await scan(paths);
    expect(redo).toEqual([321]);
    expect(got.size).toBe(399);
  });
});

describe('record dataset of many files (the built CLI, threads on)', () => {
  it('records what sha256sum prints; the same data again gives the same record', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    for (let i = 0; i < 700; i++) write(repo, `data/p${i % 10}/x${i}.txt`, `line ${i}\n`.repeat(i % 5));
    const id = ok(repo, ['record', 'dataset', 'data', '--name', 'many', '--code', 'none', '--env', 'none']);
    const rec = JSON.parse(ok(repo, ['show', id, '--json']));
    const listing = execFileSync('sh', ['-c', 'find data -type f | LC_ALL=C sort | xargs sha256sum | sha256sum'], { cwd: repo, encoding: 'utf8' }).split(' ')[0];
    expect(JSON.stringify(rec)).toContain(listing);
    const again = ok(repo, ['record', 'dataset', 'data', '--name', 'many', '--code', 'none', '--env', 'none']);
    expect(again).toBe(id);
  });

  it('refuses a broken symlink among many files by name, leaving the store as it was', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    for (let i = 0; i < 700; i++) write(repo, `data/p${i % 10}/x${i}.txt`, `line ${i}\n`);
    fs.symlinkSync(path.join(repo, 'nowhere'), path.join(repo, 'data/p3/broken'));
    const before = snapshot(path.join(repo, '.mlmeta'));
    const r = mlmeta(repo, ['record', 'dataset', 'data', '--name', 'many', '--code', 'none', '--env', 'none']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe('error[E_NOT_FOUND]: broken symlink: data/p3/broken');
    const after = snapshot(path.join(repo, '.mlmeta'));
    for (const k of [...after.keys()]) if (k.startsWith('cache/')) after.delete(k); // the stat cache and index may be written
    for (const k of [...before.keys()]) if (k.startsWith('cache/')) before.delete(k);
    expect(after).toEqual(before);
  });
});

// Hashing across threads: the built worker (dist/hash-worker.js) gives the same hashes as
// the calling thread, a file it cannot read is refused by name from the calling thread, and
// the CLI's manifest of many files matches `sha256sum`.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hashFile } from '../../src/capture/hash-file.js';
import { hashAll, type PooledHash } from '../../src/capture/hash-pool.js';
import { MlmetaError } from '../../src/errors.js';
import { ok } from '../helpers/cli.js';
import { gitRepo, tempDir, write } from '../helpers/dirs.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/hash-worker.js');

function files(n: number): string[] {
  const root = tempDir('mlmeta-pool-');
  return Array.from({ length: n }, (_, i) => write(root, `d${i % 7}/f${i}.bin`, Buffer.alloc(i * 37, i & 255)));
}

describe('the hashing threads', () => {
  it('hash every file once, as the calling thread does, reporting a moment before the read', async () => {
    expect(fs.existsSync(WORKER)).toBe(true);
    const paths = files(600);
    const got = new Map<number, [PooledHash, number]>();
    const before = Date.now();
    await hashAll(paths.map((p) => ({ abs: Buffer.from(p), shown: () => p })), (i, h, at) => {
      expect(got.has(i)).toBe(false);
      got.set(i, [h, at]);
    }, { worker: WORKER });
    expect(got.size).toBe(600);
    for (const [i, [h, at]] of got) {
      const mine = hashFile(paths[i]!);
      expect([h.sha256, h.size, h.stat.size, h.stat.ino, h.stat.mtimeMs]).toEqual([mine.sha256, mine.size, mine.stat.size, mine.stat.ino, mine.stat.mtimeMs]);
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(Date.now());
    }
  });

  it('a file gone before its thread reads it is refused by its name, from the calling thread', async () => {
    const paths = files(400);
    fs.rmSync(paths[321]!);
    const err = await hashAll(paths.map((p) => ({ abs: Buffer.from(p), shown: () => `shown/${path.basename(p)}` })), () => {}, { worker: WORKER }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlmetaError);
    expect((err as MlmetaError).code).toBe('E_NOT_FOUND');
    expect((err as MlmetaError).message).toBe('no such file: shown/f321.bin');
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
});

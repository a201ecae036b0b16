// Datasets and hashed files end to end: odd file names, the documented sha256sum recipe,
// files that change while hashed, non-regular files, `which` and `status`.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/index.js';
import { sha256Hex } from '../../src/store/objects.js';
import { BIN, mlmeta, ok } from '../helpers/cli.js';
import { gitEnv, gitRepo, snapshot, write } from '../helpers/dirs.js';

function project(): string {
  const repo = gitRepo();
  ok(repo, ['init']);
  return repo;
}

interface Manifest { digest: string; files: Array<{ path: string; sha256: string; size: number; escaped?: boolean }> }

function manifestOf(repo: string, ref: string): Manifest {
  const ds = JSON.parse(ok(repo, ['show', ref, '--json']));
  const manifestId = ds.parents.find((p: { role: string }) => p.role === 'manifest').id;
  return JSON.parse(ok(repo, ['show', manifestId, '--json'])).record;
}

/** The recipe of docs/DECISIONS.md ("Dataset digest"), run by a real shell in the project root. */
function recipe(repo: string, folder: string): string {
  const cmd = `find ${folder} -type d \\( -name .git -o -name .mlmeta \\) -prune -o -xtype f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum`;
  return execFileSync('sh', ['-c', cmd], { cwd: repo, encoding: 'utf8' }).split(' ')[0]!;
}

describe('dataset listing and digest', () => {
  it('records every odd name, and the digest equals the documented sha256sum recipe', () => {
    const repo = project();
    const names = [
      'new\nline/inside.txt', // a file in a folder whose name has a newline (was left out)
      'back\\slash.txt', // was E_NOT_FOUND
      'cr\rname.txt',
      'space name.txt',
      'emoji \u{1F600}.txt', // non-BMP: after U+FF5A in byte order, before it in UTF-16 order
      '\uFF5A.txt',
      'plain.txt',
      '[glob]*?.txt',
    ];
    names.forEach((n, i) => write(repo, `data/${n}`, `content ${i}\n`));
    fs.writeFileSync(Buffer.from(`${repo}/data/caf\xe9.txt`, 'latin1'), 'latin-1 name\n'); // not UTF-8
    fs.symlinkSync(path.join(repo, 'data/plain.txt'), path.join(repo, 'data/link.txt'));
    fs.mkdirSync(path.join(repo, 'elsewhere'));
    write(repo, 'elsewhere/not-followed.txt', 'x');
    fs.symlinkSync(path.join(repo, 'elsewhere'), path.join(repo, 'data/linked-folder'));

    const r = mlmeta(repo, ['record', 'dataset', 'data']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = manifestOf(repo, 'data');
    const expected = [...names, 'link.txt'].map((n) => `data/${n}`);
    expected.push('data/caf\\xe9.txt');
    expect(m.files.map((f) => f.path).sort()).toEqual(expected.sort());
    expect(m.files.find((f) => f.path === 'data/caf\\xe9.txt')?.escaped).toBe(true);
    expect(m.files.filter((f) => f.escaped).length).toBe(1);
    // Paths are in byte order.
    const order = m.files.map((f) => f.path);
    expect(order).toEqual([...order].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    // The digest is reproducible with coreutils alone.
    expect(m.digest).toBe(recipe(repo, 'data'));
    // A second look at the same files finds nothing changed (the odd names round-trip).
    const st = JSON.parse(ok(repo, ['status', '--json']));
    expect(st.datasets).toMatchObject([{ name: 'data', state: 'clean', added: [], removed: [], changed: [] }]);
    expect(mlmeta(repo, ['verify']).code).toBe(0);
  });

  it('orders non-BMP names by bytes, as LC_ALL=C sort does', () => {
    // U+FF5A (EF BD 9A) sorts before U+1F600 (F0 9F 98 80) by bytes, after it by UTF-16 units.
    const repo = project();
    write(repo, 'd/\u{1F600}', 'a');
    write(repo, 'd/\uFF5A', 'b');
    ok(repo, ['record', 'dataset', 'd']);
    const m = manifestOf(repo, 'd');
    expect(m.files.map((f) => f.path)).toEqual(['d/\uFF5A', 'd/\u{1F600}']);
    expect(m.digest).toBe(recipe(repo, 'd'));
  });

  it('gives different digests for file sets whose unescaped listings are the same text', () => {
    // Set 1: one file named "x\n<H>  y"; set 2: files x and y where sha256(y) = H. Without
    // escaping, both listings read "<sha(x)>  x\n<H>  y\n".
    const y = 'the y file\n';
    const H = sha256Hex(Buffer.from(y));
    const one = project();
    write(one, `x\n${H}  y`, 'same x\n');
    const two = project();
    write(two, 'x', 'same x\n');
    write(two, 'y', y);
    ok(one, ['record', 'dataset', '--name', 's', `x\n${H}  y`]);
    ok(two, ['record', 'dataset', '--name', 's', 'x', 'y']);
    const d1 = manifestOf(one, 's').digest;
    const d2 = manifestOf(two, 's').digest;
    expect(d1).not.toBe(d2);
    expect(d1).toBe(recipe(one, `'x\n${H}  y'`));
    expect(d2).toBe(recipe(two, 'x y'));
  });

  it('keeps .git and .mlmeta folders out, and applies --exclude at any depth', () => {
    const repo = project();
    write(repo, 'data/keep.csv', '1');
    write(repo, 'data/top.tmp', 'junk');
    write(repo, 'data/sub/deep.tmp', 'junk');
    write(repo, 'data/sub/.git/config', 'x');
    write(repo, 'data/.mlmeta/x', 'x');
    write(repo, 'data/cache/big.bin', 'x');
    write(repo, 'data/sub/cache', 'a file named cache');
    ok(repo, ['record', 'dataset', 'data', '--exclude', '*.tmp', '--exclude', 'cache/']);
    expect(manifestOf(repo, 'data').files.map((f) => f.path)).toEqual(['data/keep.csv', 'data/sub/cache']);
  });

  it('records ..data as a folder inside the project', () => {
    const repo = project();
    write(repo, '..data/a.csv', '1\n');
    const r = mlmeta(repo, ['record', 'dataset', '..data']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rec = JSON.parse(ok(repo, ['show', '..data', '--json'])).record;
    expect(rec.paths).toEqual(['..data']);
    expect(rec.outside_project).toBeUndefined();
    expect(manifestOf(repo, '..data').files.map((f) => f.path)).toEqual(['..data/a.csv']);
  });
});

describe('a file that changes while it is hashed', () => {
  it('never records a size from before with a hash from after', async () => {
    const repo = project();
    const big = path.join(repo, 'data/big.bin');
    fs.mkdirSync(path.dirname(big));
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const fd = fs.openSync(big, 'w');
    for (let i = 0; i < 128; i++) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    // A real writer appends 256 KiB every 2 ms (≈ 128 MB/s) for up to 20 s.
    const writer = spawn(process.execPath, ['-e', `
      const fs = require('fs'); const fd = fs.openSync(${JSON.stringify(big)}, 'a');
      const b = Buffer.alloc(262144, 9); const end = Date.now() + 20000;
      (function w() { fs.writeSync(fd, b); if (Date.now() < end) setTimeout(w, 2); })();`], { stdio: 'ignore' });
    try {
      const start = 128 * 1024 * 1024;
      while (fs.statSync(big).size === start) await new Promise((r) => setTimeout(r, 10));
      const before = snapshot(path.join(repo, '.mlmeta/objects'));
      const sizeBefore = fs.statSync(big).size;
      const r = mlmeta(repo, ['record', 'dataset', 'data']);
      const sizeAfter = fs.statSync(big).size;
      writer.kill('SIGKILL');
      // The fault happened: the file grew while mlmeta ran.
      expect(sizeAfter).toBeGreaterThan(sizeBefore);
      if (r.code === 0) {
        // Recorded: the size is the number of bytes hashed (an appended file keeps its prefix).
        const entry = manifestOf(repo, 'data').files[0]!;
        const bytes = fs.readFileSync(big).subarray(0, entry.size);
        expect(bytes.length).toBe(entry.size);
        expect(sha256Hex(bytes)).toBe(entry.sha256);
      } else {
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^error\[E_IO\]: file changed while it was read, 3 times: data\/big\.bin \(.*\)\n$/);
        expect(snapshot(path.join(repo, '.mlmeta/objects'))).toEqual(before);
      }
    } finally {
      writer.kill('SIGKILL');
    }
  });
});

describe('artifacts that are not regular files', () => {
  for (const kind of ['fifo', '/dev/zero'] as const) {
    it(`refuses ${kind} at once instead of hanging`, () => {
      const repo = project();
      let target = '/dev/zero';
      if (kind === 'fifo') {
        target = path.join(repo, 'pipe');
        execFileSync('mkfifo', [target]);
      }
      const before = snapshot(path.join(repo, '.mlmeta'));
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [BIN, 'record', 'model', '--name', 'm', '--artifact', target, '--code', 'none'], {
        cwd: repo, encoding: 'utf8', timeout: 15_000, env: { ...process.env, ...gitEnv, MLMETA_DIR: '', MLMETA_DEBUG: '' },
      });
      expect(r.signal).toBeNull(); // not killed by the timeout
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error\[E_BAD_INPUT\]: not a regular file: \S+\n$/);
      expect(snapshot(path.join(repo, '.mlmeta'))).toEqual(before);
    });
  }
});

describe('which', () => {
  it('names the asked file when several files share its content', () => {
    const repo = project();
    write(repo, 'data/a.txt', 'same\n');
    write(repo, 'data/b.txt', 'same\n');
    ok(repo, ['record', 'dataset', 'data']);
    const res = JSON.parse(ok(repo, ['which', 'data/b.txt', '--json']));
    expect(res.matches).toHaveLength(1);
    expect(res.matches[0]).toMatchObject({ as: 'dataset file', path: 'data/b.txt', paths: ['data/a.txt', 'data/b.txt'] });
    expect(ok(repo, ['which', 'data/b.txt'])).toMatch(/dataset file data\/b\.txt/);
    // from inside the folder, too
    expect(JSON.parse(ok(path.join(repo, 'data'), ['which', 'b.txt', '--json'])).matches[0].path).toBe('data/b.txt');
    expect(JSON.parse(ok(repo, ['which', 'data/a.txt', '--json'])).matches[0].path).toBe('data/a.txt');
  });
});

describe('status and --exclude', () => {
  it('does not report files the dataset excluded (end to end: record stores the excludes)', () => {
    const repo = project();
    write(repo, 'data/a.csv', '1\n');
    write(repo, 'data/x.tmp', 'junk');
    ok(repo, ['record', 'dataset', 'data', '--exclude', '*.tmp']);
    const st = JSON.parse(ok(repo, ['status', '--json']));
    expect(st.datasets).toMatchObject([{ name: 'data', state: 'clean', added: [] }]);
  });

  it('applies the exclude globs stored in the dataset record', async () => {
    const repo = project();
    write(repo, 'data/a.csv', '1\n');
    write(repo, 'data/x.tmp', 'junk');
    write(repo, 'data/sub/y.tmp', 'junk');
    ok(repo, ['record', 'dataset', 'data', '--exclude', '*.tmp']);
    const ds = JSON.parse(ok(repo, ['show', 'data', '--json'])).record;
    const manifest = JSON.parse(ok(repo, ['show', 'data', '--json'])).parents.find((p: { role: string }) => p.role === 'manifest').id;
    // A dataset record as `record dataset --exclude` writes it: the globs kept with it.
    const store = openStore({ cwd: repo });
    store.createRecord({
      kind: 'dataset', name: 'data', env: 'none', code: 'none',
      parentIds: [{ role: 'manifest', id: manifest }],
      extra: { digest: ds.digest, file_count: ds.file_count, size: ds.size, paths: ['data'], exclude: ['*.tmp'] },
    });
    const st = JSON.parse(ok(repo, ['status', '--json']));
    expect(st.datasets).toMatchObject([{ name: 'data', version: 2, state: 'clean', added: [], removed: [], changed: [] }]);
    // …and a file the globs do not cover still shows.
    write(repo, 'data/new.csv', '2\n');
    expect(JSON.parse(ok(repo, ['status', '--json'])).datasets[0]).toMatchObject({ state: 'changed', added: ['data/new.csv'] });
  });
});

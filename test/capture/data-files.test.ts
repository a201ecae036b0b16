// The data walker and its path encoding, through the library on real folders — each walking
// test twice: scanned on the calling thread, and on the hashing threads (the built worker,
// from the first file), which must give the same answers and the same refusals.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { digestOf, escapePath, hashPaths, hashPathsSync, pathBytes, unescapePath, type FileEntry, type HashOptions } from '../../src/capture/data-files.js';
import { hashFile } from '../../src/capture/hash-file.js';
import { StatCache } from '../../src/capture/stat-cache.js';
import { MlmetaError } from '../../src/errors.js';
import { tempDir, write } from '../helpers/dirs.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/hash-worker.js');
const THREADS = { worker: WORKER, minFiles: 1 };
let threads: HashOptions['threads'];
const hash = (root: string, inputs: string[], exclude: string[] = [], cache = new StatCache(undefined)) =>
  hashPaths(inputs, { projectRoot: root, cwd: root, exclude, cache, threads });

describe('the digest', () => {
  it('is the sha256 of the sha256sum listing, across many blocks, long and multi-byte paths, escaped lines between', () => {
    const files: FileEntry[] = [];
    for (let i = 0; i < 5000; i++) files.push({ path: `d/é€😀${i}.csv`, sha256: randomBytes(32).toString('hex'), size: 1 });
    files.splice(2500, 0, { path: `${'€'.repeat(60_000)}x`, sha256: 'ab'.repeat(32), size: 1 }); // longer than a block
    files.splice(100, 0, { path: 'back\\\\slash\\xff', sha256: 'cd'.repeat(32), size: 1, escaped: true }); // bytes (back\\slash, 0xff), escaped
    files.splice(7, 0, { path: 'new\nline', sha256: 'ef'.repeat(32), size: 1 });
    const listing = Buffer.concat(files.map((f) => {
      const bytes = pathBytes(f);
      const odd = /[\\\n\r]/.test(bytes.toString('latin1'));
      const esc = odd ? Buffer.from(bytes.toString('latin1').replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r'), 'latin1') : bytes;
      return Buffer.concat([Buffer.from(`${odd ? '\\' : ''}${f.sha256}  `), esc, Buffer.from('\n')]);
    }));
    expect(digestOf(files)).toBe(createHash('sha256').update(listing).digest('hex'));
  });
});

describe('paths that are not UTF-8', () => {
  it('escape reversibly, and escaped text keeps its backslashes apart from escapes', () => {
    const samples = [Buffer.from('caf\xe9\\x41\\', 'latin1'), Buffer.from([0xed, 0xa0, 0x80, 0x2f, 0xf0, 0x9f, 0x98, 0x80, 0xc0, 0xff])];
    for (let i = 0; i < 200; i++) samples.push(randomBytes(1 + (i % 40)));
    for (const b of samples) expect(unescapePath(escapePath(b)).equals(b)).toBe(true);
    expect(escapePath(Buffer.from('caf\xe9\\x41', 'latin1'))).toBe('caf\\xe9\\\\x41');
    expect(escapePath(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80'); // a surrogate is not UTF-8
  });

  it('are recorded escaped with escaped: true, and hashed from the real file', async () => {
    const root = tempDir();
    const name = Buffer.from(`${root}/d/na\xefve\\.txt`, 'latin1');
    fs.mkdirSync(path.join(root, 'd'));
    fs.writeFileSync(name, 'bytes');
    write(root, 'd/na\\xefve\\.txt', 'a valid name that looks like the escape');
    const res = await hash(root, ['d']);
    expect(res.files.map((f) => [f.path, f.escaped])).toEqual([
      ['d/na\\xefve\\.txt', undefined],
      ['d/na\\xefve\\\\.txt', true],
    ]);
    expect(pathBytes(res.files[1]!).equals(Buffer.from('d/na\xefve\\.txt', 'latin1'))).toBe(true);
    expect(res.files[1]!.sha256).toBe(hashFile(name).sha256);
  });
});

for (const mode of ['the calling thread', 'the hashing threads'] as const) describe(`walking folders, scanned on ${mode}`, () => {
  beforeAll(() => {
    expect(fs.existsSync(WORKER)).toBe(true); // npm run build
    threads = mode === 'the hashing threads' ? THREADS : undefined;
  });

  it('orders paths by their bytes, text and bytes mixed: astral and U+E000+ names, a non-UTF-8 folder and what is under it', async () => {
    const root = tempDir();
    const names = ['d/a', 'd/\u{1F600}', 'd/\uFF5E', 'd/\uE000x', 'd/z', 'd/\uFFFD real', 'd/sub/\u00e9', 'd/A'];
    for (const n of names) write(root, n, n);
    const bad = Buffer.from(`${root}/d/b\xff`, 'latin1');
    fs.mkdirSync(bad);
    fs.writeFileSync(Buffer.concat([bad, Buffer.from('/\u00e9')]), 'under a non-UTF-8 folder');
    fs.writeFileSync(Buffer.concat([bad, Buffer.from('/plain')]), 'plain');
    const res = await hash(root, ['d']);
    const got = res.files.map((f) => pathBytes(f));
    const badDir = Buffer.from('d/b\xff/', 'latin1');
    const want = [...names.map((n) => Buffer.from(n)), Buffer.concat([badDir, Buffer.from('\u00e9')]), Buffer.concat([badDir, Buffer.from('plain')])].sort(Buffer.compare);
    expect(got.map((b) => b.toString('hex'))).toEqual(want.map((b) => b.toString('hex')));
    expect(res.files.filter((f) => f.escaped).map((f) => f.path)).toEqual(['d/b\\xff/plain', 'd/b\\xff/\u00e9']);
    for (const f of res.files) expect(f.sha256).toBe(hashFile(Buffer.concat([Buffer.from(`${root}/`), pathBytes(f)])).sha256);
  });

  it('reports input folders that held no file', async () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'empty'));
    write(root, 'only-tmp/x.tmp', 'x');
    write(root, 'full/a', 'a');
    const res = await hash(root, ['empty', 'only-tmp', 'full'], ['*.tmp']);
    expect(res.emptyFolders).toEqual(['empty', 'only-tmp']);
    expect(res.files.map((f) => f.path)).toEqual(['full/a']);
    expect((await hash(root, ['full'])).emptyFolders).toEqual([]);
  });

  it('refuses a broken symlink deep in a folder, naming it', async () => {
    const root = tempDir();
    write(root, 'd/sub/ok', '1');
    fs.symlinkSync(path.join(root, 'gone'), path.join(root, 'd/sub/broken'));
    const err = await hash(root, ['d']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlmetaError);
    expect((err as MlmetaError).code).toBe('E_NOT_FOUND');
    expect((err as MlmetaError).message).toBe('broken symlink: d/sub/broken');
  });

  it('anchors a glob with a slash at the input folder, and matches one without at any depth', async () => {
    const root = tempDir();
    for (const f of ['d/a/x.log', 'd/x.log', 'd/b/a/x.log', 'd/keep']) write(root, f, f);
    expect((await hash(root, ['d'], ['a/x.log'])).files.map((f) => f.path)).toEqual(['d/b/a/x.log', 'd/keep', 'd/x.log']);
    expect((await hash(root, ['d'], ['x.log'])).files.map((f) => f.path)).toEqual(['d/keep']);
    expect((await hash(root, ['d'], ['a/'])).files.map((f) => f.path)).toEqual(['d/keep', 'd/x.log']);
  });

  it('records the bytes hashed as the size', async () => {
    const root = tempDir();
    write(root, 'd/f', Buffer.alloc(3 * 1024 * 1024 + 5, 1));
    const res = await hash(root, ['d']);
    expect(res.files[0]!.size).toBe(3 * 1024 * 1024 + 5);
    expect(res.size).toBe(3 * 1024 * 1024 + 5);
  });

  it('skips FIFOs and symlinked folders, hashes symlinked files as their content, and agrees with the synchronous walk', async () => {
    const root = tempDir();
    for (let i = 0; i < 40; i++) write(root, `d/s${i % 3}/f${i}.csv`, `row ${i}\n`);
    write(root, 'target.bin', 'pointed at');
    fs.symlinkSync(path.join(root, 'target.bin'), path.join(root, 'd/link.bin'));
    fs.symlinkSync(path.join(root, 'd/s1'), path.join(root, 'd/folder-link'));
    execFileSync('mkfifo', [path.join(root, 'd/s2/pipe')]);
    write(root, 'd/new\nline', 'n');
    const res = await hash(root, ['d']);
    expect(res.files.length).toBe(42);
    expect(res.files.find((f) => f.path === 'd/link.bin')!.sha256).toBe(hashFile(path.join(root, 'target.bin')).sha256);
    expect(res.files.some((f) => f.path.includes('pipe') || f.path.includes('folder-link'))).toBe(false);
    const sync = hashPathsSync(['d'], { projectRoot: root, cwd: root, cache: new StatCache(undefined) });
    expect(res.files).toEqual(sync.files);
    expect(res.digest).toBe(sync.digest);
  });

  it('answers from the stat cache when a file is unchanged, and hashes it again when it changed', async () => {
    const root = tempDir();
    const cacheDir = tempDir();
    for (let i = 0; i < 30; i++) write(root, `d/f${i}`, `v1 ${i}`);
    const old = new Date(Date.now() - 60_000);
    for (let i = 0; i < 30; i++) fs.utimesSync(path.join(root, `d/f${i}`), old, old);
    await hash(root, ['d'], [], new StatCache(cacheDir));
    // A planted answer for f5 under its current stat: only the cache can report it.
    const f5 = path.join(root, 'd/f5');
    const plant = new StatCache(cacheDir);
    plant.set(f5, fs.statSync(f5), 'ab'.repeat(32), Date.now());
    plant.save();
    const f3 = path.join(root, 'd/f3');
    fs.writeFileSync(f3, 'v2 3'); // same length; its mtime and ctime move
    const again = await hash(root, ['d'], [], new StatCache(cacheDir));
    expect(again.files.find((f) => f.path === 'd/f5')!.sha256).toBe('ab'.repeat(32));
    expect(again.files.find((f) => f.path === 'd/f3')!.sha256).toBe(hashFile(f3).sha256);
    expect(again.files.find((f) => f.path === 'd/f9')!.sha256).toBe(hashFile(path.join(root, 'd/f9')).sha256);
  });

});

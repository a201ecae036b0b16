// The derived index under .mlmeta/cache/index: all.seg stays the size of the live data
// however many small writes are laid over it, and a parallel build whose worker threads
// die still answers, promptly.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gitEnv, gitRepo, tempDir } from '../helpers/dirs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function library() {
  return (await import(path.join(ROOT, 'dist/index.js'))) as typeof import('../../src/index.js');
}

async function generated(count: number): Promise<{ dir: string; count: number }> {
  const { generateStore } = await import('../../bench/generate.mjs');
  const dir = gitRepo();
  const gen = generateStore(dir, count, { chain: 20, fan: 20 }) as { count: number };
  return { dir, count: gen.count };
}

describe('all.seg after many single-record writes', () => {
  it('stays the size of a freshly rebuilt all.seg (old strings are not carried along)', async () => {
    const { openStore } = await library();
    // ~8 records per shard: each write changes one shard, whose strings the old overlay
    // appended again every time (all.seg grew by a shard's strings per record).
    const { dir } = await generated(2000);
    const objects = path.join(dir, '.mlmeta/objects');
    // Writes that come seconds apart, as a user's do: each folder's mtime is set well past
    // the racy window (else every load within 3 s rebuilds every folder just written).
    const past = Date.now() / 1000 - 3600;
    for (const fan of fs.readdirSync(objects)) fs.utimesSync(path.join(objects, fan), past, past);
    const all = path.join(dir, '.mlmeta/cache/index/all.seg');
    const store = openStore({ cwd: dir });
    expect(store.graph().lineKeys().length).toBeGreaterThan(0);
    const start = fs.statSync(all).size;
    const writes = 60;
    for (let i = 0; i < writes; i++) {
      // each write re-reads the graph (heads of line m), which lays the changed shard over all.seg
      const { id } = store.createRecord({ kind: 'model', name: 'm', params: { i }, code: 'none', env: 'none', author: 'T <t@example.test>' });
      fs.utimesSync(path.join(objects, id.slice(0, 2)), past + i + 1, past + i + 1);
    }
    expect(openStore({ cwd: dir }).graph().line('model', 'm')).toHaveLength(writes);
    const grown = fs.readFileSync(all);
    expect(grown.length).toBeGreaterThan(start); // the new records are in it

    fs.rmSync(path.join(dir, '.mlmeta/cache/index'), { recursive: true });
    expect(openStore({ cwd: dir }).graph().line('model', 'm')).toHaveLength(writes);
    const fresh = fs.readFileSync(all);
    expect(grown.length).toBeLessThanOrEqual(fresh.length * 1.05);
    // the overlay gives exactly what a full merge gives
    expect(grown.equals(fresh)).toBe(true);
  }, 180_000);
});

describe('a parallel index build whose worker threads die', () => {
  // A copy of the built package whose worker bundle is broken the given way (a damaged or
  // half-updated install); the CLI in it must still answer, from the main thread.
  function brokenPackage(worker: string): string {
    const pkg = tempDir('mlmeta-pkg-');
    fs.cpSync(path.join(ROOT, 'bin'), path.join(pkg, 'bin'), { recursive: true });
    fs.cpSync(path.join(ROOT, 'dist'), path.join(pkg, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(pkg, 'node_modules'));
    fs.writeFileSync(path.join(pkg, 'dist/index-worker.cjs'), worker);
    return pkg;
  }

  function findAll(pkg: string, dir: string) {
    const t = Date.now();
    const r = spawnSync(process.execPath, [path.join(pkg, 'bin/mlmeta.js'), 'find', '--json'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, ...gitEnv, MLMETA_DEBUG: '', MLMETA_DIR: '' },
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t };
  }

  // How long the intact CLI takes to build the same cold index (the machine may be busy):
  // waiting out the stall timeout (10 s) on top of that would show.
  function baseline(dir: string): number {
    const copy = path.join(tempDir('mlmeta-same-'), 'store');
    fs.cpSync(dir, copy, { recursive: true });
    const r = findAll(ROOT, copy);
    expect(r.code).toBe(0);
    return r.ms;
  }

  it('builds the shards itself when every worker throws at start, without waiting', async () => {
    // the parallel build needs two cores and a cold index over at least 32 shards
    expect(Math.min(os.availableParallelism(), 8)).toBeGreaterThanOrEqual(2);
    const { dir, count } = await generated(300);
    expect(fs.readdirSync(path.join(dir, '.mlmeta/objects')).length).toBeGreaterThan(100);
    const intact = baseline(dir);
    const marks = tempDir('mlmeta-marks-');
    const pkg = brokenPackage(`require('node:fs').writeFileSync(require('node:path').join(${JSON.stringify(marks)}, String(require('node:worker_threads').threadId)), '');\nthrow new Error('worker broken');\n`);

    const r = findAll(pkg, dir);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toHaveLength(count);
    // the workers did start and die (the fault happened) …
    expect(fs.readdirSync(marks).length).toBeGreaterThanOrEqual(2);
    // … and the CLI did not wait out a timeout for them
    expect(r.ms).toBeLessThan(intact + 6_000);
    // the shards it built serve the next call
    expect(fs.readdirSync(path.join(dir, '.mlmeta/cache/index')).filter((f) => f.endsWith('.seg')).length).toBeGreaterThan(100);
  });

  it('builds the shards itself when the worker bundle does not even load', async () => {
    const { dir, count } = await generated(300);
    const intact = baseline(dir);
    const pkg = brokenPackage('this is ( not javascript');
    const r = findAll(pkg, dir);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toHaveLength(count);
    expect(r.ms).toBeLessThan(intact + 6_000);
  });

  it('gives up on workers that are stuck and still answers', async () => {
    const { dir, count } = await generated(300);
    const marks = tempDir('mlmeta-marks-');
    // a worker that never finishes and never runs JavaScript again, as one killed outright would
    const pkg = brokenPackage(`require('node:fs').writeFileSync(require('node:path').join(${JSON.stringify(marks)}, String(require('node:worker_threads').threadId)), '');\nAtomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);\n`);
    const r = findAll(pkg, dir);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveLength(count);
    expect(fs.readdirSync(marks).length).toBeGreaterThanOrEqual(2);
    expect(r.ms).toBeLessThan(45_000);
  });
});

describe('a graph read after another writer', () => {
  it('sees an object written in the same timestamp tick as the index was built', async () => {
    const { initStore, openStore, canonicalYaml, sha256Hex } = await library();
    const dir = gitRepo();
    const author = 'T <t@example.test>';
    const { store: a } = initStore({ cwd: dir });
    const first = a.createRecord({ kind: 'model', name: 'm', code: 'none', env: 'none', author });
    const fan = first.id.slice(0, 2);
    // version 2, made so that its object lands in the same fan-out folder as version 1
    let bytes = '';
    let second = '';
    for (let i = 0; !second.startsWith(fan); i++) {
      bytes = canonicalYaml({ mlmeta: 1, kind: 'model', name: 'm', version: 2, author, created: '2026-01-01T00:00:00Z', parents: [{ role: 'previous', id: first.id }], params: { i } });
      second = sha256Hex(bytes);
    }
    const folder = path.join(dir, '.mlmeta/objects', fan);
    expect(a.graph().heads('model', 'm')).toEqual([first.id]); // the index is built now
    const mtime = fs.statSync(folder, { bigint: true }).mtimeNs;

    expect(openStore({ cwd: dir }).writeRecordBytes(Buffer.from(bytes)).created).toBe(true); // another writer
    // … on a file system whose clock did not tick: the folder's mtime is what the index saw
    execFileSync('touch', ['-m', '-d', `@${mtime / 1_000_000_000n}.${String(mtime % 1_000_000_000n).padStart(9, '0')}`, folder]);
    expect(fs.statSync(folder, { bigint: true }).mtimeNs).toBe(mtime);

    // a graph loaded afterwards (a new Graph: Store.graph() on a new Store) sees it: the
    // folder was racy when indexed, so it is listed again
    expect(openStore({ cwd: dir }).graph().heads('model', 'm')).toEqual([second]);
  });
});

describe('a symlink planted in the index cache', () => {
  it('is never written through: the index is served from memory and the answer is right', async () => {
    const { initStore } = await library();
    const dir = gitRepo();
    const { store } = initStore({ cwd: dir });
    const made = store.createRecord({ kind: 'model', name: 'm', code: 'none', env: 'none', author: 'T <t@example.test>' });
    const elsewhere = tempDir('mlmeta-elsewhere-');
    const index = path.join(dir, '.mlmeta/cache/index');
    fs.rmSync(index, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(index), { recursive: true });
    fs.symlinkSync(elsewhere, index);
    expect(fs.lstatSync(index).isSymbolicLink()).toBe(true);

    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/mlmeta.js'), 'find', '--json'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...gitEnv, MLMETA_DEBUG: '', MLMETA_DIR: '' } });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).map((h: { id: string }) => h.id)).toEqual([made.id]);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });
});

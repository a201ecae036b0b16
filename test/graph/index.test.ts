// The derived index, `.mlmeta/cache/index.sqlite`: deleted or replaced while in use, racy
// folders, a symlink planted in its place, many processes writing and reading at once,
// and a hostile --where that must never reach SQL as SQL.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, mlmeta, ok } from '../helpers/cli.js';
import { gitEnv, gitRepo, tempDir } from '../helpers/dirs.js';
import { matches, parseWhere } from '../../src/graph/query.js';
import { writerTag } from '../../src/store/writer.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const author = 'T <t@example.test>';

async function library() {
  return (await import(path.join(ROOT, 'dist/index.js'))) as typeof import('../../src/index.js');
}

/** The index's schema as SQLite lists it (tables, indexes, their SQL). */
function schemaOf(file: string): unknown[] {
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string, o: object) => { prepare(s: string): { all(): unknown[] }; close(): void };
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name').all();
  } finally {
    db.close();
  }
}

describe('an index deleted while in use', () => {
  it('is rebuilt by the next graph, which sees every record (its own and other processes\')', async () => {
    const { initStore, openStore } = await library();
    const dir = gitRepo();
    const { store } = initStore({ cwd: dir });
    const a = store.createRecord({ kind: 'model', name: 'm', code: 'none', env: 'none', author });
    expect(store.graph().line('model', 'm')).toEqual([a.id]); // open in this process
    const db = path.join(dir, '.mlmeta/cache/index.sqlite');
    for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
    expect(fs.existsSync(db)).toBe(false);
    // this process writes (its open handle is to the deleted file), another process writes
    const b = store.createRecord({ kind: 'model', name: 'm', code: 'none', env: 'none', author });
    const c = ok(dir, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none']);
    expect(fs.existsSync(db)).toBe(true); // the other process made a new one
    expect(openStore({ cwd: dir }).graph().line('model', 'm')).toEqual([c, b.id, a.id]);
    expect(JSON.parse(ok(dir, ['log', 'm', '--json'])).map((e: { version: number }) => e.version)).toEqual([3, 2, 1]);
  });
});

describe('a graph read after another writer', () => {
  it('sees an object written in the same timestamp tick as the folder was indexed', async () => {
    const { initStore, openStore, canonicalYaml, sha256Hex } = await library();
    const dir = gitRepo();
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
    expect(openStore({ cwd: dir }).graph().heads('model', 'm')).toEqual([first.id]); // indexed now
    const mtime = fs.statSync(folder, { bigint: true }).mtimeNs;
    // another tool (a git checkout, a copy) adds the object behind the index's back …
    fs.writeFileSync(path.join(folder, `${second.slice(2)}.yaml`), bytes, { mode: 0o444 });
    // … on a file system whose clock did not tick: the folder's mtime is what the index saw
    execFileSync('touch', ['-m', '-d', `@${mtime / 1_000_000_000n}.${String(mtime % 1_000_000_000n).padStart(9, '0')}`, folder]);
    expect(fs.statSync(folder, { bigint: true }).mtimeNs).toBe(mtime);
    // the folder was racy when indexed, so it is listed again
    expect(openStore({ cwd: dir }).graph().heads('model', 'm')).toEqual([second]);
  });
});

describe('a symlink planted in place of the index file', () => {
  it('is never written through: the index lives in memory and the answer is right', async () => {
    const { initStore } = await library();
    const dir = gitRepo();
    const { store } = initStore({ cwd: dir });
    const made = store.createRecord({ kind: 'model', name: 'm', code: 'none', env: 'none', author });
    const elsewhere = tempDir('mlmeta-elsewhere-');
    const db = path.join(dir, '.mlmeta/cache/index.sqlite');
    for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
    fs.symlinkSync(path.join(elsewhere, 'victim.sqlite'), db);

    const r = spawnSync(process.execPath, [BIN, 'find', '--json'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...gitEnv, MLMETA_DEBUG: '', MLMETA_DIR: '' } });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).map((h: { id: string }) => h.id)).toEqual([made.id]);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    expect(fs.lstatSync(db).isSymbolicLink()).toBe(true);
  });
});

describe('two processes writing records while a third queries', () => {
  it('never shows a partial record set, and the counts agree at the end', async () => {
    const dir = tempDir('mlmeta-busy-');
    ok(dir, ['init']);
    const perWriter = 8;
    const writer = (name: string) => new Promise<number | null>((resolve) => {
      const script = `for i in $(seq ${perWriter}); do "${process.execPath}" "${BIN}" record model --name ${name} --code none --env none --param i=$i >/dev/null || exit 1; done`;
      spawn('sh', ['-c', script], { cwd: dir, env: { ...process.env, ...gitEnv, MLMETA_DEBUG: '' }, stdio: 'ignore' }).on('exit', resolve);
    });
    const writers = [writer('a'), writer('b')];
    let done = false;
    void Promise.all(writers).then(() => { done = true; });
    const seen: number[] = [];
    const failures: string[] = [];
    while (!done) {
      const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(process.execPath, [BIN, 'find', '--kind', 'model', '--json'], { cwd: dir, env: { ...process.env, ...gitEnv, MLMETA_DEBUG: '' } });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => { out += d; });
        p.stderr.on('data', (d: Buffer) => { err += d; });
        p.on('exit', (code) => resolve({ code, out, err }));
      });
      if (r.code !== 0) failures.push(r.err);
      else {
        const hits = JSON.parse(r.out) as Array<{ record: { name: string; version: number } }>;
        seen.push(hits.length);
        // each line seen is whole: versions 1..n with none missing
        for (const name of ['a', 'b']) {
          const versions = hits.filter((h) => h.record.name === name).map((h) => h.record.version).sort((x, y) => x - y);
          if (versions.some((v, i) => v !== i + 1)) failures.push(`${name}: ${versions.join(',')}`);
        }
      }
    }
    expect(await Promise.all(writers)).toEqual([0, 0]);
    expect(failures).toEqual([]);
    expect(seen.length).toBeGreaterThan(0); // the reader did run while they wrote
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    const objects = fs.readdirSync(path.join(dir, '.mlmeta/objects')).filter((f) => /^[0-9a-f]{2}$/.test(f))
      .flatMap((f) => fs.readdirSync(path.join(dir, '.mlmeta/objects', f)).filter((n) => n.endsWith('.yaml')));
    const all = JSON.parse(ok(dir, ['find', '--json'])) as unknown[];
    expect(all).toHaveLength(objects.length);
    expect(JSON.parse(ok(dir, ['find', '--kind', 'model', '--json']))).toHaveLength(2 * perWriter);
    expect(JSON.parse(ok(dir, ['log', 'a', '--json'])).map((e: { version: number }) => e.version)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  }, 120_000);
});

describe('a hostile --where', () => {
  it('never runs as SQL: answers as the evaluator does, or is a usage error; the schema is untouched', async () => {
    const { initStore, openStore, MlmetaError } = await library();
    const dir = gitRepo();
    const { store } = initStore({ cwd: dir });
    const nasty = ["'); DROP TABLE records;--", '"; DELETE FROM fields; --', "x' OR '1'='1", 'é😀\u0000z', '%', '_', '1e3', '-0', ' 12 ', 'true', 'NULL', '\\', "it's", '"q"'];
    let seed = 11;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const pick = <T>(xs: T[]) => xs[rand(xs.length)]!;
    for (let i = 0; i < 12; i++) {
      store.createRecord({
        kind: 'model', name: pick(['m', 'n', 'é']), code: 'none', env: 'none', author,
        params: { lr: pick([0.1, 0.01, '0.1', 'fast', true]), [pick(['k', 'drop', 'x'])]: pick(nasty), nested: { deep: rand(5) } },
        metrics: { auc: rand(100) / 100, loss: pick([1, 2, 3]) },
      });
    }
    const db = path.join(dir, '.mlmeta/cache/index.sqlite');
    const records = [...openStore({ cwd: dir }).graph().fullSummaries()];
    const schema = schemaOf(db);
    const fields = ['params.lr', 'params.k', 'params.drop', 'params.x', 'params.nested.deep', 'params.nested', 'metrics.auc', 'metrics.loss', 'name', 'kind', 'author', 'created', 'version', 'id', 'code.commit', 'missing', 'params', "params.a'b", 'params.;', 'x;DROP'];
    const ops = ['=', '!=', '<', '<=', '>', '>=', '~'];
    const quote = (v: string) => (rand(2) ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
    const value = () => pick([() => String(rand(3)), () => String(rand(100) / 100), () => quote(pick(nasty)), () => pick(nasty), () => quote(pick(['m', 'fast', '0.1', 'T']))])();
    const cmp = () => `${pick(fields)} ${pick(ops)} ${value()}`;
    const expr = (d: number): string => (d > 2 || rand(3) === 0 ? cmp() : pick([
      () => `${expr(d + 1)} and ${expr(d + 1)}`, () => `${expr(d + 1)} or ${expr(d + 1)}`, () => `not ${expr(d + 1)}`, () => `(${expr(d + 1)})`,
    ])());
    let answered = 0;
    for (let i = 0; i < 400; i++) {
      const where = expr(0);
      let hits: string[];
      try {
        hits = store.find({ where: [where] }).map((h) => h.id).sort();
      } catch (e) {
        expect(e).toBeInstanceOf(MlmetaError);
        expect((e as { code: string }).code, where).toBe('E_USAGE');
        continue;
      }
      const parsed = parseWhere(where);
      const want = records.filter(([id, s]) => matches(parsed, { id, ...s })).map(([id]) => id).sort();
      expect(hits, where).toEqual(want);
      answered++;
    }
    expect(answered).toBeGreaterThan(200);
    // the same through the CLI: never an internal error
    for (const where of [`params.k = "'); DROP TABLE records;--"`, `params.drop != "\\"; DELETE FROM fields; --"`, 'metrics.auc > 0.5 or name ~ "%"']) {
      const r = mlmeta(dir, ['find', '--where', where, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const bad = mlmeta(dir, ['find', '--where', "params.k = '); DROP TABLE records;--"]);
    expect(bad.stderr).toMatch(/^error\[E_USAGE\]: bad --where expression/);
    expect(bad.code).toBe(2);
    expect(schemaOf(db)).toEqual(schema);
    expect(JSON.parse(ok(dir, ['find', '--json']))).toHaveLength(records.length);
  }, 120_000);
});

describe('paging', () => {
  it('find and log page with --limit and --offset in their order', async () => {
    const { initStore } = await library();
    const dir = gitRepo();
    const { store } = initStore({ cwd: dir });
    for (let i = 0; i < 7; i++) store.createRecord({ kind: 'model', name: `m${i}`, code: 'none', env: 'none', author, metrics: { auc: i / 10 } });
    const all = store.find({ kind: 'model', sort: 'metrics.auc' }).map((h) => h.record.metrics!.auc);
    expect(all).toEqual([0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0]);
    const page = JSON.parse(ok(dir, ['find', '--kind', 'model', '--sort', 'metrics.auc', '--limit', '3', '--offset', '2', '--json'])) as Array<{ record: { metrics: { auc: number } } }>;
    expect(page.map((h) => h.record.metrics.auc)).toEqual([0.4, 0.3, 0.2]);
    // hits without the sort value come last, by id, and pages run across them
    const bare = [0, 1].map(() => store.createRecord({ kind: 'model', name: 'bare', code: 'none', env: 'none', author }).id).sort();
    const tail = store.find({ kind: 'model', sort: 'metrics.auc', limit: 3, offset: 6 });
    expect(tail.map((h) => h.id)).toEqual([store.find({ kind: 'model', sort: 'metrics.auc' })[6]!.id, ...bare]);
    expect(tail[0]!.record.metrics!.auc).toBe(0);
    expect(store.find({ kind: 'model', sort: 'metrics.auc', ascending: true, offset: 7 }).map((h) => h.id)).toEqual(bare);
    expect(mlmeta(dir, ['find', '--offset', '-1']).stderr).toMatch(/^error\[E_USAGE\]: --offset must be a whole number/);
    // log pages the same way, newest version first
    for (let i = 0; i < 3; i++) store.createRecord({ kind: 'model', name: 'bare', code: 'none', env: 'none', author });
    expect(JSON.parse(ok(dir, ['log', 'bare', '--limit', '2', '--offset', '1', '--json'])).map((e: { version: number }) => e.version)).toEqual([4, 3]);
    expect(mlmeta(dir, ['log', '--limit', 'x']).stderr).toMatch(/^error\[E_USAGE\]: --limit must be a whole number/);
  });
});

describe('a cold index built on worker threads', () => {
  it('answers exactly as an index built folder by folder on the main thread', async () => {
    const { generateStore } = await import('../../bench/generate.mjs');
    const made = (dir: string) => generateStore(dir, 4500, { chain: 600, fan: 600 }) as { count: number; chainHead: string; fanData: string };
    const cold = tempDir('mlmeta-cold-');
    const gen = made(cold);
    const questions = (dir: string) => [
      ok(dir, ['find', '--json']),
      ok(dir, ['find', '--kind', 'model', '--where', 'metrics.auc > 0.9', '--sort', 'metrics.auc', '--limit', '20', '--json']),
      ok(dir, ['lineage', gen.chainHead, '--json']),
      ok(dir, ['lineage', gen.fanData, '--down', '--json']),
      ok(dir, ['log', '--json']),
    ];
    const first = mlmeta(cold, ['find', '--kind', 'dataset', '--limit', '1'], { MLMETA_DEBUG: '1' });
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^debug: cold index build of ~\d+ objects, parsed on worker threads$/m);
    // the workers did parse (a worker that loads but runs nothing leaves every folder to this thread)
    const delivered = /^debug: (\d+) of (\d+) folders parsed on worker threads$/m.exec(first.stderr);
    expect(delivered?.[1]).toBe(delivered?.[2]);
    expect(Number(delivered?.[1])).toBeGreaterThan(64);
    const answers = questions(cold);
    expect(JSON.parse(answers[0]!)).toHaveLength(gen.count);
    // the same store, its objects arriving in two parts: never a cold build (fewer than 64
    // folders at first, then an index that already knows them)
    const warm = tempDir('mlmeta-warm-');
    const src = path.join(tempDir('mlmeta-src-'), 'store');
    made(src);
    const fans = fs.readdirSync(path.join(src, '.mlmeta/objects')).sort();
    const copy = (part: string[]) => { for (const f of part) fs.cpSync(path.join(src, '.mlmeta/objects', f), path.join(warm, '.mlmeta/objects', f), { recursive: true }); };
    fs.cpSync(path.join(src, '.mlmeta'), path.join(warm, '.mlmeta'), { recursive: true, filter: (p) => !p.includes(`${path.sep}objects${path.sep}`) });
    copy(fans.slice(0, 40));
    const part = mlmeta(warm, ['find', '--limit', '1'], { MLMETA_DEBUG: '1' });
    expect(part.stderr).not.toMatch(/worker threads/);
    copy(fans.slice(40));
    const rest = mlmeta(warm, ['find', '--limit', '1'], { MLMETA_DEBUG: '1' });
    expect(rest.stderr).not.toMatch(/worker threads/);
    expect(questions(warm)).toEqual(answers);
  });
});

describe('a cold index built aside', () => {
  it('is linked into place whole: a build killed midway leaves only its temp file, which the next build removes; two first commands build it once', async () => {
    const { generateStore } = await import('../../bench/generate.mjs');
    const dir = tempDir('mlmeta-aside-');
    const gen = generateStore(dir, 4500, { chain: 600, fan: 600 }) as { chainHead: string };
    const cache = path.join(dir, '.mlmeta/cache');
    const file = path.join(cache, 'index.sqlite');
    const temps = () => (fs.existsSync(cache) ? fs.readdirSync(cache).filter((f) => f.startsWith('.tmp-index-')) : []);
    const start = () => {
      const child = spawn(process.execPath, [BIN, 'lineage', gen.chainHead, '--json'], { cwd: dir, env: { ...process.env, MLMETA_DEBUG: '1' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      return { child, done: new Promise<{ code: number | null; out: string; err: string }>((r) => child.on('close', (code) => r({ code, out, err }))) };
    };
    // a live builder's lock is waited for however old it is (a build at 10^6 records takes minutes)
    const lock = path.join(cache, 'locks', 'index-build.lock');
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, `${writerTag()} ${process.pid} ${Date.now()}\n`);
    const old = new Date(Date.now() - 11 * 60_000);
    fs.utimesSync(lock, old, old);
    const waiting = start();
    await new Promise((r) => setTimeout(r, 1500));
    expect(waiting.child.exitCode).toBe(null);
    expect(temps()).toEqual([]);
    fs.rmSync(lock);
    expect((await waiting.done).code).toBe(0);
    fs.rmSync(cache, { recursive: true });
    const killed = start();
    const deadline = Date.now() + 30_000;
    while (temps().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    killed.child.kill('SIGKILL');
    expect((await killed.done).code).toBe(null); // killed, not finished
    expect(temps()).toHaveLength(1); // it died building
    expect(fs.existsSync(file)).toBe(false); // and nothing of it is in place
    const runs = await Promise.all([start().done, start().done]);
    for (const r of runs) expect(r.code).toBe(0);
    expect(runs[1]!.out).toBe(runs[0]!.out);
    expect((JSON.parse(runs[0]!.out) as { nodes: unknown[] }).nodes).toHaveLength(1200); // 600 versions and their code commits
    expect(runs.filter((r) => /^debug: cold index build/m.test(r.err))).toHaveLength(1);
    expect(temps()).toEqual([]);
    expect(fs.readdirSync(path.join(cache, 'locks'))).toEqual([]);
    expect(runs[0]!.out.trimEnd()).toBe(ok(dir, ['lineage', gen.chainHead, '--json'])); // and a warm open agrees
    // an index made while the store was empty, then 256 folders arriving: built in place
    const late = tempDir('mlmeta-inplace-');
    fs.cpSync(path.join(dir, '.mlmeta'), path.join(late, '.mlmeta'), { recursive: true, filter: (p) => !p.includes(`${path.sep}objects${path.sep}`) && !p.includes(`${path.sep}cache`) });
    expect(mlmeta(late, ['find']).code).toBe(0);
    expect(fs.existsSync(path.join(late, '.mlmeta/cache/index.sqlite'))).toBe(true);
    fs.cpSync(path.join(dir, '.mlmeta/objects'), path.join(late, '.mlmeta/objects'), { recursive: true });
    const inPlace = mlmeta(late, ['lineage', gen.chainHead, '--json'], { MLMETA_DEBUG: '1' });
    expect(inPlace.stderr).toMatch(/^debug: cold index build/m);
    expect(inPlace.stdout).toBe(runs[0]!.out);
    expect(ok(late, ['find', '--json'])).toBe(ok(dir, ['find', '--json']));
  });
});

describe('the kinds of the second wave in the index', () => {
  it('a series is content, never listed as a record; signatures and reproductions are records with parents', async () => {
    const { initStore } = await library();
    const { buildHistory } = await import('../../src/records/history.js');
    const dir = gitRepo();
    const { store } = initStore({ cwd: dir });
    const points = Array.from({ length: 500 }, (_, step) => ({ step, value: 1 / (step + 1) }));
    const { history, objects } = buildHistory({ loss: points });
    expect(objects).toHaveLength(1); // past INLINE_POINTS: the points live in a series object
    const series = objects[0]!.id;
    for (const o of objects) store.writeRecordBytes(o.bytes);
    const run = store.createRecord({ kind: 'run', name: 'r', code: 'none', env: 'none', author, extra: { history } }).id;
    const model = store.createRecord({ kind: 'model', name: 'm', code: 'none', env: 'none', author, parents: [{ role: 'run', ref: run }] }).id;
    const sig = ok(dir, ['record', 'signature', '--parent', `subject=${model}`, '--code', 'none', '--env', 'none']);
    const rep = ok(dir, ['record', 'reproduction', '--parent', `of=${model}`, '--code', 'none', '--env', 'none']);
    const ids = (out: string) => (JSON.parse(out) as Array<{ id: string }>).map((h) => h.id);
    expect(ids(ok(dir, ['find', '--json'])).sort()).toEqual([run, model, sig, rep].sort());
    const listed = JSON.parse(ok(dir, ['find', '--kind', 'series', '--json'])) as Array<{ id: string; record: Record<string, unknown> }>;
    expect(listed.map((h) => h.id)).toEqual([series]);
    expect(listed[0]!.record.points).toBeUndefined(); // the bulk stays in the object
    expect(listed[0]!.record.count).toBe(500);
    expect(ids(ok(dir, ['log', '--json'])).sort()).toEqual([run, model].sort());
    const down = JSON.parse(ok(dir, ['lineage', run, '--down', '--json'])) as { nodes: Array<{ id: string; kind: string }> };
    expect(down.nodes.map((n) => n.kind).sort()).toEqual(['model', 'reproduction', 'run', 'signature']);
    const up = JSON.parse(ok(dir, ['lineage', rep, '--json'])) as { nodes: Array<{ id: string }> };
    expect(up.nodes.map((n) => n.id).sort()).toEqual([rep, model, run].sort());
    expect(ok(dir, ['show', series])).toMatch(/series/); // still an object any command can read
  });
});

describe('objects arriving in an order the walk keys do not expect', () => {
  it('a parent arriving after its child fills its stub; two branches\' same version get two keys', async () => {
    const { initStore } = await library();
    const objectsOf = (dir: string) => path.join(dir, '.mlmeta/objects');
    const copyObject = (from: string, to: string, id: string) => {
      fs.mkdirSync(path.join(objectsOf(to), id.slice(0, 2)), { recursive: true });
      fs.copyFileSync(path.join(objectsOf(from), id.slice(0, 2), `${id.slice(2)}.yaml`), path.join(objectsOf(to), id.slice(0, 2), `${id.slice(2)}.yaml`));
    };
    // two branches each made dataset d@1 and model m@1 from it (different content, same line keys)
    const branch = (note: string) => {
      const dir = gitRepo();
      const { store } = initStore({ cwd: dir });
      const d = store.createRecord({ kind: 'dataset', name: 'd', code: 'none', env: 'none', author, message: note }).id;
      const m = store.createRecord({ kind: 'model', name: 'm', code: 'none', env: 'none', author, message: note, parents: [{ role: 'data', ref: d }] }).id;
      return { dir, d, m };
    };
    const a = branch('branch a');
    const b = branch('branch b');
    const dir = gitRepo();
    initStore({ cwd: dir });
    // the children first: their parents are stubs (missing) in the index
    copyObject(a.dir, dir, a.m);
    copyObject(b.dir, dir, b.m);
    const before = JSON.parse(ok(dir, ['lineage', a.m, '--json'])) as { nodes: Array<{ id: string; kind: string }> };
    expect(before.nodes.find((n) => n.id === a.d)?.kind).toBe('missing');
    // then the parents: each stub becomes the record, in the same process's index
    copyObject(a.dir, dir, a.d);
    copyObject(b.dir, dir, b.d);
    for (const { m, d } of [a, b]) {
      const l = JSON.parse(ok(dir, ['lineage', m, '--json'])) as { nodes: Array<{ id: string; kind: string; label: string }>; edges: Array<{ from: string; to: string; role: string }> };
      expect(l.nodes.map((n) => [n.id, n.kind, n.label])).toEqual([[m, 'model', 'model m@1'], [d, 'dataset', 'dataset d@1']]);
      expect(l.edges).toEqual([{ from: d, to: m, role: 'data' }]);
      const down = JSON.parse(ok(dir, ['lineage', d, '--down', '--json'])) as { nodes: Array<{ id: string }> };
      expect(down.nodes.map((n) => n.id)).toEqual([d, m]);
    }
    // both versions 1 of each line are listed (two keys, neither lost to the other)
    const logged = JSON.parse(ok(dir, ['log', 'm', '--json'])) as Array<{ id: string }>;
    expect(logged.map((r) => r.id).sort()).toEqual([a.m, b.m].sort());
    // and a cold build of the same objects answers the same
    fs.rmSync(path.join(dir, '.mlmeta/cache'), { recursive: true, force: true });
    const again = JSON.parse(ok(dir, ['lineage', b.m, '--json'])) as { nodes: Array<{ id: string }> };
    expect(again.nodes.map((n) => n.id)).toEqual([b.m, b.d]);
  });
});

// The derived index: one SQLite file, `.mlmeta/cache/index.sqlite` (WAL, busy timeout), a
// cache of the records on disk that any number of mlmeta processes read and write at once.
//
// Freshness: the `fans` table holds each fan-out folder's mtime when it was last indexed.
// On open every folder is stat'ed; a folder whose mtime moved (a file added or removed by
// mlmeta, git checkout, git pull, cp) or that was racy when indexed (racy.ts: a write in
// the same clock tick would not move the mtime) is listed again and diffed against the ids
// indexed for it, in one write transaction: vanished ids deleted, new objects parsed and
// inserted. Only new objects are read. Malformed records go to `broken` (left out of every
// answer, not re-read).
//
// The file is only ever a cache: a damaged file is deleted and rebuilt (with a warning), a
// file deleted while in use is rebuilt by the next open, and where it cannot be written
// (a read-only store, a symlink planted in its place) the index lives in memory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sqlite, type SqlDatabase, type SqlStatement } from '../lazy-deps.js';
import type { RecordBody } from '../records/record.js';
import type { StoreLayout } from '../store/location.js';
import { fanMtime, listFanout, listIdsIn, readObject, readObjectsIn, trustedStamp } from '../store/objects.js';
import { isRacy } from '../store/racy.js';
import { TEMP_PREFIX, tempName } from '../store/atomic.js';
import { withLock } from '../store/lock.js';
import { rowsOf } from './rows.js';
import { parseBytes, parseOnWorkers, workersAvailable, type Parsed } from './parse-workers.js';
import { createIndexes, dropIndexes, ensureSchema } from './schema.js';

export const INDEX_FILE = 'index.sqlite';
/** How long a writer waits for another's transaction before giving up (SQLITE_BUSY). */
const BUSY_MS = 30_000;
/**
 * Changed folders are parsed and written this many at a time (bounds memory on a cold build).
 * A build aside writes each folder as it arrives: with no journal a commit costs little, and
 * rows held for 16 folders lived long enough to reach V8's old space (at 10^6 records the
 * main thread spent 43 s of 255 in the garbage collector).
 */
const FANS_PER_TRANSACTION = 16;

export interface IndexHandle {
  db: SqlDatabase;
  file: string;
  /** the file's inode when opened (undefined in memory): a different one means it was replaced or deleted */
  ino?: bigint;
}

/** One open index per store path in this process. */
const open = new Map<string, IndexHandle>();

function indexFile(layout: StoreLayout): string {
  return path.join(layout.cache, INDEX_FILE);
}

/** SQLite says the file is not a database or is damaged. */
export function isCorruption(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

function removeIndexFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    try {
      fs.rmSync(f, { force: true });
    } catch {
      /* nothing to remove, or it cannot be: the next open says so */
    }
  }
}

function configure(db: SqlDatabase, onDisk: boolean): void {
  if (onDisk) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL'); // a cache: losing the last transaction to a power cut is fine
  db.pragma(`busy_timeout = ${BUSY_MS}`);
  db.pragma(`cache_size = ${QUERY_CACHE_KIB}`);
  // A 2 MiB page cache for queries (SQLite's own default; better-sqlite3 builds it with
  // 16 MiB): a larger one made a 10,000-record walk slower here (every page it adds is fresh
  // memory: the fan's walk statement 103–140 ms at 2 MiB, 231–273 ms at 16) and bigger.
  // Cold builds take more.
  // No mmap_size: reading through a map saved ~15% of a 10,000-record walk's CPU here, but
  // every page it touches counts in the process's memory (a 10k walk went 174 -> 274 MB at
  // 100k records, a query at 1M to 949 MB), and a file truncated under a reader is a SIGBUS.
  ensureSchema(db);
}

function inMemory(): IndexHandle {
  const Database = sqlite();
  const db = new Database(':memory:');
  configure(db, false);
  return { db, file: ':memory:' };
}

function inodeOf(file: string): bigint | undefined {
  try {
    const st = fs.lstatSync(file, { bigint: true });
    return st.isFile() ? st.ino : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the index file may be created or opened here: a real folder, and no symlink or other non-file in the file's place. */
function usableOnDisk(layout: StoreLayout, file: string): boolean {
  try {
    fs.mkdirSync(layout.cache, { recursive: true });
    if (!fs.lstatSync(layout.cache).isDirectory()) return false;
    fs.accessSync(layout.cache, fs.constants.W_OK);
  } catch {
    return false;
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if (!fs.lstatSync(f).isFile()) return false;
    } catch {
      /* absent: fine */
    }
  }
  return true;
}

function openOnDisk(file: string): IndexHandle {
  const Database = sqlite();
  const db = new Database(file, { timeout: BUSY_MS });
  try {
    configure(db, true);
    // Reading the header and schema is not proof against damage further in: a quick look
    // at each table's first page catches a file overwritten with garbage past the header.
    for (const t of ['records', 'nodes', 'links', 'edges', 'fields', 'hashes', 'fans', 'broken']) db.prepare(`SELECT count(*) FROM (SELECT 1 FROM ${t} LIMIT 1)`).get();
  } catch (e) {
    db.close();
    throw e;
  }
  return { db, file, ino: inodeOf(file) };
}

/** Open (or create, or rebuild after damage) the store's index, without refreshing it. */
function openIndex(layout: StoreLayout): IndexHandle {
  const file = indexFile(layout);
  if (!usableOnDisk(layout, file)) return inMemory();
  if (inodeOf(file) === undefined) buildAside(layout, file);
  try {
    return openOnDisk(file);
  } catch (e) {
    if (!isCorruption(e)) {
      // Read-only media, a locked-down folder, …: answer from memory this time.
      if ((e as { code?: string }).code?.startsWith('SQLITE_')) return inMemory();
      throw e;
    }
  }
  warnRebuilt(file);
  removeIndexFiles(file);
  buildAside(layout, file);
  return openOnDisk(file);
}

/**
 * A missing index over a big store (COLD_FROM folders) is built aside: in a temp file of the
 * cache folder that no other process opens, with no journal and no syncs (a build that dies
 * leaves only a temp file, removed by the next build), then switched to WAL and linked into
 * place — `link` fails if a file is there already, so a finished index is never replaced.
 * In place, every transaction would be written twice (WAL, then checkpoint) and every reader
 * would wait on the writer's locks. One build at a time (a lock): a process that finds the
 * index missing while another builds it waits and opens the result. Any failure here falls
 * back to the in-place path (the caller opens or creates the file as usual).
 */
function buildAside(layout: StoreLayout, file: string): void {
  if (listFanout(layout.objects).length < COLD_FROM) return;
  try {
    withLock(path.join(layout.cache, 'locks', 'index-build.lock'), () => {
      if (inodeOf(file) !== undefined || !usableOnDisk(layout, file)) return; // built while this process waited
      // a build that died left its temp file; a `-wal` or `-shm` without its index (deleted
      // under a process that still has it open) would be replayed into the new file
      const leftover = `${TEMP_PREFIX}index-`;
      for (const f of fs.readdirSync(layout.cache)) if (f.startsWith(leftover)) fs.rmSync(path.join(layout.cache, f), { recursive: true, force: true });
      for (const f of [`${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
      const tmp = tempName(layout.cache, 'index');
      const db = new (sqlite())(tmp);
      try {
        // better-sqlite3 opens in SQLite's defensive mode, which keeps the journal on (the
        // pragma answers `delete`): lifted for this one setting of a file no one else opens
        db.unsafeMode(true);
        db.pragma('journal_mode = OFF');
        db.unsafeMode(false);
        db.pragma('synchronous = OFF');
        ensureSchema(db);
        refresh(layout, db, true);
        db.pragma('journal_mode = WAL'); // recorded in the file: every later open is WAL
        db.close();
        fs.linkSync(tmp, file);
      } finally {
        if (db.open) db.close();
        for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) fs.rmSync(f, { force: true });
      }
      // a build takes minutes at 10^6 records: only a dead builder's lock is stale, never an old one
    }, { what: 'the index', waitMs: 30 * 60_000, staleMs: Number.POSITIVE_INFINITY });
  } catch (e) {
    if (process.env.MLMETA_DEBUG === '1') process.stderr.write(`debug: the index was not built aside (${(e as Error).message}); building it in place\n`);
  }
}

function warnRebuilt(file: string): void {
  process.stderr.write(`warning: the index ${file} was damaged; rebuilding it from the records\n`);
}

/** The store's index, open and brought up to date with the objects on disk. */
export function indexFor(layout: StoreLayout): IndexHandle {
  let h = open.get(layout.root);
  // A file deleted or replaced behind this process (rm -rf .mlmeta/cache) is opened anew.
  if (h && h.file !== ':memory:' && (inodeOf(h.file) !== h.ino || !h.db.open)) {
    if (h.db.open) h.db.close();
    h = undefined;
  }
  if (!h) {
    h = openIndex(layout);
    open.set(layout.root, h);
  }
  try {
    refresh(layout, h.db);
  } catch (e) {
    if (!isCorruption(e) || h.file === ':memory:') throw e;
    h = rebuild(layout, h);
    refresh(layout, h.db);
  }
  return h;
}

/** Throw away a damaged index and start again (the caller refreshes). */
export function rebuild(layout: StoreLayout, h: IndexHandle): IndexHandle {
  warnRebuilt(h.file);
  if (h.db.open) h.db.close();
  removeIndexFiles(h.file);
  const fresh = openIndex(layout);
  open.set(layout.root, fresh);
  return fresh;
}

function parseObject(layout: StoreLayout, id: string): Parsed {
  let bytes: Buffer;
  try {
    bytes = readObject(layout.objects, id);
  } catch (e) {
    return { id, error: (e as Error).message };
  }
  return parseBytes(id, bytes);
}

/** Bring the index up to date with every fan-out folder; see the header. */
export function refresh(layout: StoreLayout, db: SqlDatabase, aside = false): void {
  const known = new Map((db.prepare('SELECT fan, mtime FROM fans').raw().all() as Array<[string, string]>));
  const fans = listFanout(layout.objects);
  const present = new Set(fans);
  const gone = [...known.keys()].filter((f) => !present.has(f));
  const stale: string[] = [];
  for (const fan of fans) {
    const m = fanMtime(layout.objects, fan);
    if (m === undefined) continue;
    const k = known.get(fan);
    if (k === undefined || k === '' || k !== String(m)) stale.push(fan);
  }
  if (gone.length) writeFans(layout, db, gone, new Map());
  if (known.size === 0 && stale.length >= COLD_FROM) coldBuild(layout, db, stale, aside);
  else buildFans(layout, db, stale);
  // links a cold build that died left unsettled (rare: one cheap look otherwise)
  if (statements(db).hasPending.get() !== undefined) db.transaction(() => settlePending(db)).immediate();
}

/** A cold build's page cache and a query's (negative: KiB, as SQLite's pragma takes it). */
const BUILD_CACHE_KIB = -65536;
const QUERY_CACHE_KIB = -2000;
/** From this many folders on an empty index, the cold build path is taken. */
const COLD_FROM = 64;
/** From about this many objects on, a cold build parses on worker threads (starting one costs ~0.1 s). */
const WORKERS_FROM = 4000;

/**
 * Nodes of a build aside, before they go into `nodes`: records arrive in id order, which is
 * random in n, and at 10^6 records inserting them one by one into `nodes` (n-keyed, ~380 B a
 * row) was a random page write each. They are appended here (a temp table: this connection's
 * only) and moved over sorted by n once, at the end; `taken` stands in for nodes' keys.
 * Only aside: a build in place shares `nodes` with other writers, who must see every key.
 */
interface Staging {
  taken: Set<number>;
  add: SqlStatement;
}

/**
 * A cold build: secondary indexes are made once at the end (schema.ts), nothing is synced
 * until then (a crash leaves at worst a damaged file, which is rebuilt), and a big store is
 * parsed on worker threads (parse-workers.ts) while this thread inserts.
 */
function coldBuild(layout: StoreLayout, db: SqlDatabase, stale: string[], aside: boolean): void {
  dropIndexes(db, aside);
  if (aside) {
    db.pragma('temp_store = FILE');
    db.exec('CREATE TEMP TABLE stage (n INTEGER, id TEXT, kind TEXT, "commit" TEXT, view TEXT)');
    staging.set(db, { taken: new Set(db.prepare('SELECT n FROM nodes').pluck().all() as number[]), add: db.prepare('INSERT INTO temp.stage VALUES (?,?,?,?,?)') });
  }
  db.pragma('synchronous = OFF');
  db.pragma(`cache_size = ${BUILD_CACHE_KIB}`); // inserts in id order are random b-tree writes: keep the tree in memory
  try {
    // the objects of one folder, times the folders: enough to tell a big store
    const estimate = listIdsIn(layout.objects, stale[0]!).length * stale.length;
    let left = stale;
    if (estimate >= WORKERS_FROM && workersAvailable()) {
      if (process.env.MLMETA_DEBUG === '1') process.stderr.write(`debug: cold index build of ~${estimate} objects, parsed on worker threads\n`);
      let group: string[] = [];
      const parsed = new Map<string, Parsed>();
      const seen = new Map<string, Listing>();
      const flush = () => {
        writeFans(layout, db, group, parsed, true, seen);
        group = [];
        parsed.clear();
        seen.clear();
      };
      left = parseOnWorkers(layout.objects, stale, (fan, rows, stamp) => {
        group.push(fan);
        for (const r of rows) parsed.set(r.id, r);
        // a worker parsed every object it listed, in order: its rows' ids are its listing
        if (stamp !== undefined) seen.set(fan, { stamp, listed: rows.map((r) => r.id) });
        if (group.length >= (aside ? 1 : FANS_PER_TRANSACTION)) flush();
      });
      if (group.length) flush();
      if (process.env.MLMETA_DEBUG === '1') process.stderr.write(`debug: ${stale.length - left.length} of ${stale.length} folders parsed on worker threads\n`);
    }
    buildFans(layout, db, left, true);
    if (aside) {
      staging.delete(db);
      db.transaction(() => {
        db.exec('INSERT INTO nodes (n, id, kind, "commit", view) SELECT n, id, kind, "commit", view FROM temp.stage ORDER BY n; DROP TABLE temp.stage');
      }).immediate();
    }
    createIndexes(db, ['nodes_id']); // settling looks parents up by id
    db.transaction(() => settlePending(db)).immediate();
  } finally {
    staging.delete(db);
    db.pragma('synchronous = NORMAL');
    createIndexes(db);
    db.pragma(`cache_size = ${QUERY_CACHE_KIB}`);
  }
}

function buildFans(layout: StoreLayout, db: SqlDatabase, stale: string[], cold = false): void {
  for (let i = 0; i < stale.length; i += FANS_PER_TRANSACTION) {
    const group = stale.slice(i, i + FANS_PER_TRANSACTION);
    // Parse what is new before taking the write lock: other processes keep writing meanwhile.
    const parsed = new Map<string, Parsed>();
    const seen = new Map<string, Listing>();
    const idsOf = statements(db).idsOf;
    for (const fan of group) {
      const have = new Set(idsOf.all(fan, fan) as string[]);
      const stamp = trustedStamp(layout.objects, fan);
      const listed = listIdsIn(layout.objects, fan);
      if (stamp !== undefined) seen.set(fan, { stamp, listed });
      const fresh = listed.filter((id) => !have.has(id));
      readObjectsIn(layout.objects, fan, (id, bytes) => parsed.set(id, parseBytes(id, bytes)), fresh);
    }
    writeFans(layout, db, group, parsed, cold, seen);
  }
}

/** Statements of one database, prepared once. */
const prepared = new WeakMap<SqlDatabase, ReturnType<typeof prepare>>();
/** A build aside's staged nodes (see Staging), while it runs. */
const staging = new WeakMap<SqlDatabase, Staging>();

function prepare(db: SqlDatabase) {
  return {
    idsOf: db.prepare('SELECT id FROM records WHERE fan = ? UNION ALL SELECT id FROM broken WHERE fan = ?').pluck(),
    nodeOf: db.prepare('SELECT n FROM nodes WHERE id = ?').pluck(),
    taken: db.prepare('SELECT 1 FROM nodes WHERE n = ?').pluck(),
    nodeNew: db.prepare('INSERT INTO nodes (n, id, kind, "commit", view) VALUES (?,?,?,?,?)'),
    nodeSet: db.prepare('UPDATE nodes SET kind = ?, "commit" = ?, view = ? WHERE n = ?'),
    record: db.prepare('INSERT OR REPLACE INTO records (id, fan, kind, name, version, created, author, "commit", dirty, message, alias, target, facts, summary) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)'),
    edge: db.prepare('INSERT OR REPLACE INTO edges (child, pos, parent, role) VALUES (?,?,?,?)'),
    pending: db.prepare('INSERT INTO pending (child, pos, parent, role) VALUES (?,?,?,?)'),
    field: db.prepare('INSERT OR REPLACE INTO fields (id, key, num, txt) VALUES (?,?,?,?)'),
    hash: db.prepare('INSERT INTO hashes (sha256, id, how, path) VALUES (?,?,?,?)'),
    broken: db.prepare('INSERT OR REPLACE INTO broken (id, fan, error) VALUES (?,?,?)'),
    dels: ['records WHERE id', 'edges WHERE child', 'fields WHERE id', 'hashes WHERE id', 'broken WHERE id'].map((w) => db.prepare(`DELETE FROM ${w} = ?`)),
    // a record gone: its node becomes a stub (other records' links may name it), its own links go
    delsN: ['UPDATE nodes SET kind = NULL, "commit" = NULL, view = NULL WHERE n = ?', 'DELETE FROM links WHERE child = ?', 'DELETE FROM pending WHERE child = ?'].map((q) => db.prepare(q)),
    hasPending: db.prepare('SELECT 1 FROM pending LIMIT 1').pluck(),
    unsettled: db.prepare('SELECT DISTINCT parent FROM pending WHERE parent NOT IN (SELECT id FROM nodes)').pluck(),
    // in key order: a cold build settles every link at once, and links is keyed (child, pos)
    settle: db.prepare('INSERT OR REPLACE INTO links (child, pos, parent, role) SELECT p.child, p.pos, o.n, p.role FROM pending p JOIN nodes o ON o.id = p.parent ORDER BY p.child, p.pos'),
    clearPending: db.prepare('DELETE FROM pending'),
    fan: db.prepare('INSERT OR REPLACE INTO fans (fan, mtime) VALUES (?, ?)'),
    dropFan: db.prepare('DELETE FROM fans WHERE fan = ?'),
  };
}

function statements(db: SqlDatabase) {
  let s = prepared.get(db);
  if (!s) {
    s = prepare(db);
    prepared.set(db, s);
  }
  return s;
}

/** Keys from here on are for ids with no line (manifests, series, stubs): 2^52 + their first 48 bits. */
const NO_LINE = 2 ** 52;
/** A line's versions take keys line·2^21 + version (2^31 lines, 2^21 versions each). */
const VERSION_BITS = 2 ** 21;

/** 31-bit FNV-1a of a line's kind and name. */
function lineHash(kind: string, name: string): number {
  let h = 0x811c9dc5;
  const s = `${kind}\u0000${name}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) & 0x7fffffff;
}

/**
 * The walk key of an id not yet in nodes: a versioned record's is its line's hash times 2^21
 * plus its version, so the 10,000 versions of a chain are 10,000 adjacent keys (rows in key
 * order share pages, whatever order the records were read in). Everything else hashes its id
 * into the keys above NO_LINE: records without a version (evals, aliases), versions outside
 * 1..2^21−1, and a record whose line key is taken (two branches made the same version, a
 * hash collision). Probing a taken key one by one stays short only among hashed keys: a
 * line's keys are consecutive, so 10^4 evals of one name probing from one key cost 10^8/2
 * lookups (review 4).
 */
function numberFor(taken: (n: number) => boolean, id: string, kind: string | null, name: string | null, version: number | null): number {
  if (kind !== null && name !== null && version !== null && Number.isInteger(version) && version >= 1 && version < VERSION_BITS) {
    const n = lineHash(kind, name) * VERSION_BITS + version;
    if (!taken(n)) return n;
  }
  let n = NO_LINE + parseInt(id.slice(0, 12), 16);
  while (taken(n)) n++;
  return n;
}

/** Whether a key is in nodes. */
function takenIn(db: SqlDatabase): (n: number) => boolean {
  const taken = statements(db).taken;
  return (n) => taken.get(n) !== undefined;
}

/** Give every pending link its parent's key (a stub node for a parent not in the store) and move it into links. */
function settlePending(db: SqlDatabase): void {
  const s = statements(db);
  if (s.hasPending.get() === undefined) return;
  const taken = takenIn(db);
  for (const id of s.unsettled.all() as string[]) s.nodeNew.run(numberFor(taken, id, null, null, null), id, null, null, null);
  s.settle.run();
  s.clearPending.run();
}

/** Forget an id's rows (its node stays, as a stub). */
function deleteRows(db: SqlDatabase, id: string): void {
  const s = statements(db);
  for (const d of s.dels) d.run(id);
  const n = s.nodeOf.get(id) as number | undefined;
  if (n !== undefined) for (const d of s.delsN) d.run(n);
}

/** Insert the rows of an id the index does not hold (`replace`: it may hold it; its old rows go first). Links go to pending. */
function insertParsed(db: SqlDatabase, p: Parsed, replace = false): void {
  const s = statements(db);
  if (replace) deleteRows(db, p.id);
  if ('error' in p) {
    s.broken.run(p.id, p.id.slice(0, 2), p.error);
    return;
  }
  s.record.run(...p.record);
  const [, kind, commit, view] = p.node;
  const staged = staging.get(db);
  let n: number | undefined;
  if (staged) {
    // a build aside: every record is new and read once, so nodes holds no row for it
    n = numberFor((k) => staged.taken.has(k), p.id, kind, p.record[3], p.record[4]);
    staged.taken.add(n);
    staged.add.run(n, p.id, kind, commit, view);
  } else if ((n = s.nodeOf.get(p.id) as number | undefined) === undefined) {
    n = numberFor(takenIn(db), p.id, kind, p.record[3], p.record[4]);
    s.nodeNew.run(n, p.id, kind, commit, view);
  } else s.nodeSet.run(kind, commit, view, n);
  for (const e of p.edges) {
    s.edge.run(...e);
    s.pending.run(n, e[1], e[2], e[3]);
  }
  for (const f of p.fields) s.field.run(...f);
  for (const h of bySha(p.hashes)) s.hash.run(...h);
}

/**
 * A manifest's file hashes in sha256 order (stable: equal hashes keep the manifest's path
 * order, which `which` lists by rowid): the hashes_sha index then takes them page by page,
 * not at random. 100,000 files: ~1.3 → ~0.9 s of inserts here (the first hash of a big
 * dataset writes them all; docs/BENCH.md). Answers are unchanged: every query orders.
 *
 * Sorted as numbers when every hash starts with 8 lower-case hex digits (their order as
 * numbers is their order as text): each row's key is those digits and its position, one
 * typed-array sort, then rows sharing the 8 digits (about one pair in 100k) by their whole
 * text. Comparing 100k hashes as text was ~0.3 s here (they are slices of the hashing
 * threads' answers, slower to compare than flat strings).
 */
export function bySha<T extends [string, ...unknown[]]>(rows: T[]): T[] {
  const n = rows.length;
  const byText = (a: T, b: T) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  if (n < 256) return rows;
  if (n >= POSITIONS) return [...rows].sort(byText);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const sha = rows[i]![0];
    if (!HEX8.test(sha)) return [...rows].sort(byText);
    keys[i] = parseInt(sha.slice(0, 8), 16) * POSITIONS + i; // < 2^53: exact
  }
  keys.sort();
  const out: T[] = new Array(n);
  for (let k = 0; k < n; ) {
    const prefix = Math.floor(keys[k]! / POSITIONS);
    let end = k + 1;
    while (end < n && Math.floor(keys[end]! / POSITIONS) === prefix) end++;
    for (let j = k; j < end; j++) out[j] = rows[keys[j]! - prefix * POSITIONS]!;
    // a stable sort of rows in position order: equal hashes stay in it
    if (end - k > 1) out.slice(k, end).sort(byText).forEach((row, j) => (out[k + j] = row));
    k = end;
  }
  return out;
}
const HEX8 = /^[0-9a-f]{8}/;
/** Rows bySha sorts as numbers: a position takes 21 bits beside a hash's 32. */
const POSITIONS = 2 ** 21;

/** A folder's listing and its trustedStamp, taken just before the listing. */
interface Listing {
  stamp: string;
  listed: string[];
}

/**
 * In one write transaction, per folder: stat it, list it, delete the ids that vanished and
 * insert the new ones (from `parsed`, or parsed here if another writer added them since),
 * then store the stat taken before the listing — a write landing after the stat moves the
 * mtime past it, so it is seen next time. Folders absent on disk lose all their rows.
 * A listing in `seen` is used instead of listing again when the folder is the same folder
 * with the same mtime as just before that listing, and that mtime was already past the racy
 * window then: an entry added or removed since would have moved it (at 10^6 records a folder
 * holds ~4,000 names, ~16 ms to list on this VM).
 * Links are settled at the end of the transaction, or (`cold`) at the end of the build.
 */
function writeFans(layout: StoreLayout, db: SqlDatabase, fans: string[], parsed: Map<string, Parsed>, cold = false, seen?: Map<string, Listing>): void {
  const s = statements(db);
  db.transaction(() => {
    for (const fan of fans) {
      const m = fanMtime(layout.objects, fan);
      const was = seen?.get(fan);
      const listed = m === undefined ? [] : was !== undefined && trustedStamp(layout.objects, fan) === was.stamp ? was.listed : listIdsIn(layout.objects, fan);
      const have = new Set(s.idsOf.all(fan, fan) as string[]);
      const onDisk = new Set(listed);
      for (const id of have) if (!onDisk.has(id)) deleteRows(db, id);
      for (const id of listed) if (!have.has(id)) insertParsed(db, parsed.get(id) ?? parseObject(layout, id));
      if (m === undefined) s.dropFan.run(fan);
      else s.fan.run(fan, isRacy(m) ? '' : String(m));
    }
    if (!cold) settlePending(db);
  }).immediate();
}

/**
 * A record this process just wrote: its rows go in directly (no rediscovery). Its folder was
 * just written, so its mtime is racy: the next open lists the folder again whatever the
 * folder holds (another writer, a checkout), and it is not listed here.
 */
export function indexWritten(layout: StoreLayout, id: string, bytes: Buffer, known?: RecordBody): void {
  const h = open.get(layout.root);
  if (!h || !h.db.open) return; // no index open in this process: the next open finds the object
  if (h.file !== ':memory:' && inodeOf(h.file) !== h.ino) return; // replaced: the next open rebuilds
  const fan = id.slice(0, 2);
  // `known`: the body the caller made these bytes from (a 10^5-point series object takes
  // ~0.3 s to parse back; its index rows need none of the points).
  let p: Parsed;
  try {
    p = known ? rowsOf(id, known) : parseBytes(id, bytes);
  } catch (e) {
    p = { id, error: (e as Error).message };
  }
  const s = statements(h.db);
  try {
    h.db.transaction(() => {
      insertParsed(h.db, p, true); // another process may have indexed it already
      settlePending(h.db);
      s.fan.run(fan, '');
    }).immediate();
  } catch {
    // The object is on disk either way, and the folder's stored mtime is now behind it: a
    // failed index write (busy past the timeout, damaged, read-only) costs a re-list later.
  }
}

/** Close the index of a store (tests; a process's handles otherwise close at exit). */
export function closeIndex(layout: StoreLayout): void {
  const h = open.get(layout.root);
  if (h?.db.open) h.db.close();
  open.delete(layout.root);
}

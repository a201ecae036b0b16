// The derived index under `.mlmeta/cache/index/`, one shard per fan-out folder:
//   XX.json — a summary of every record in objects/XX (all fields but bulky ones), for find,
//             which, status and log; read only when such a command needs it;
//   XX.seg  — the same records' structure in binary (id, kind, name, version, created,
//             parents, a few display facts), read by every graph command: 256 small reads
//             and no JSON parse of record data, so lineage at 100k records stays fast.
//   state.json — each shard's folder mtime when it was built.
// A shard is rebuilt when its folder's mtime changed (adding or removing a file changes it,
// whoever does it: mlmeta, git checkout, git pull, cp); only new objects are parsed. A
// folder whose mtime is within RACY_MS of the clock when it was read is not trusted next
// time (a write in the same clock tick would not move the mtime; git's "racily clean").
// Everything here can be deleted at any time; it is rebuilt.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseRecordBytes, type RecordBody } from '../records/record.js';
import type { StoreLayout } from '../store/location.js';
import { listFanout, listIdsIn, readObject } from '../store/objects.js';

const INDEX_VERSION = 4;
const RACY_MS = 3000n;
const NONE = 0xffffffff;

/**
 * What the index keeps of a record: every field but bulky ones (the message, the
 * environment, the command line; a manifest's file list is cut to its hashes, `$files`).
 */
export type Summary = RecordBody & { $files?: string[] };

export function summarise(r: RecordBody): Summary {
  const { files, message: _m, env: _e, command: _c, ...rest } = r;
  const summary: Summary = rest as RecordBody;
  if (r.kind === 'manifest' && Array.isArray(files)) {
    summary.$files = files.map((f) => (f as { sha256?: unknown }).sha256).filter((h): h is string => typeof h === 'string');
  }
  return summary;
}

/** Facts shown next to a node in lineage views, computed once when the shard is built. */
export function keyFacts(s: RecordBody): Record<string, string | number | boolean> {
  const f: Record<string, string | number | boolean> = {};
  if (typeof s.digest === 'string') f.digest = s.digest.slice(0, 12);
  if (typeof s.file_count === 'number') f.files = s.file_count;
  if (s.code?.commit) f.commit = s.code.commit.slice(0, 10);
  if (s.code?.dirty) f.dirty = true;
  const metric = s.metrics && Object.entries(s.metrics).find(([, v]) => typeof v === 'number');
  if (metric) f[metric[0]] = metric[1] as number;
  if (typeof s.status === 'string') f.status = s.status;
  return f;
}

type FanSummaries = Record<string, Summary | string>;

/**
 * The structure of every record, column by column, indexed by position in `ids` (sorted).
 * Strings (kind, name, created, facts, …) stay encoded in one blob and are decoded only
 * when asked for, so loading 100k records allocates almost nothing.
 */
export class Structure {
  constructor(
    readonly count: number,
    /** 32-byte ids, ascending */
    readonly ids: Buffer,
    /** FIELDS u32 per record: kind, name, version, created, facts, extra, parentCount (strings as global indexes) */
    private readonly fields: Uint32Array,
    readonly parentStart: Uint32Array,
    readonly parentIds: Buffer,
    private readonly parentRoles: Uint32Array,
    private readonly stringOffsets: Uint32Array,
    private readonly stringBlob: Buffer,
    readonly broken: Map<string, string>,
  ) {}

  private memo = new Map<number, string>();

  str(k: number): string | undefined {
    if (k === NONE) return undefined;
    let v = this.memo.get(k);
    if (v === undefined) {
      v = this.stringBlob.toString('utf8', this.stringOffsets[k]!, this.stringOffsets[k + 1]!);
      this.memo.set(k, v);
    }
    return v;
  }

  kind(i: number): string { return this.str(this.fields[i * FIELDS]!)!; }
  name(i: number): string | undefined { return this.str(this.fields[i * FIELDS + 1]!); }
  version(i: number): number { return this.fields[i * FIELDS + 2]!; }
  created(i: number): string { return this.str(this.fields[i * FIELDS + 3]!) ?? ''; }
  facts(i: number): string { return this.str(this.fields[i * FIELDS + 4]!) ?? '{}'; }
  /** the alias name of an alias record, else the code commit */
  extra(i: number): string | undefined { return this.str(this.fields[i * FIELDS + 5]!); }
  parentCount(i: number): number { return this.fields[i * FIELDS + 6]!; }
  parentRole(p: number): string { return this.str(this.parentRoles[p]!)!; }
  /** Positions of the records named `name`, found by comparing bytes (nothing decoded). */
  named(name: string): number[] {
    const want = Buffer.from(name, 'utf8');
    const out: number[] = [];
    const { fields, stringOffsets: off, stringBlob: blob } = this;
    for (let i = 0; i < this.count; i++) {
      const k = fields[i * FIELDS + 1]!;
      if (k === NONE) continue;
      const start = off[k]!;
      const end = off[k + 1]!;
      if (end - start === want.length && blob.compare(want, 0, want.length, start, end) === 0) out.push(i);
    }
    return out;
  }
}

const FIELDS = 7;

function shardDir(layout: StoreLayout): string {
  return path.join(layout.cache, 'index');
}

function atomicWrite(file: string, data: string | Buffer): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * Binary segment of one shard, column by column:
 * [u32 header length][header JSON {n, p, m, broken}] then, 4-byte aligned:
 * ids n×32 · fields n×FIELDS u32 · parent ids p×32 · parent roles p u32 ·
 * string offsets (m+1) u32 · string blob (utf8).
 */
function encodeSegment(fan: string, records: FanSummaries): Buffer {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const str = (v: string | undefined): number => {
    if (v === undefined) return NONE;
    let i = index.get(v);
    if (i === undefined) {
      i = strings.length;
      strings.push(v);
      index.set(v, i);
    }
    return i;
  };
  const good = Object.entries(records).filter((e): e is [string, Summary] => typeof e[1] !== 'string').sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const broken = Object.fromEntries(Object.entries(records).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const n = good.length;
  const p = good.reduce((k, [, s]) => k + (s.parents?.length ?? 0), 0);
  const ids = Buffer.alloc(n * 32);
  const fields = new Uint32Array(n * FIELDS);
  const pids = Buffer.alloc(p * 32);
  const proles = new Uint32Array(p);
  let q = 0;
  good.forEach(([rest, s], i) => {
    ids.write(fan + rest, i * 32, 32, 'hex');
    const f = i * FIELDS;
    fields[f] = str(s.kind);
    fields[f + 1] = str(s.name);
    fields[f + 2] = typeof s.version === 'number' ? s.version : 0;
    fields[f + 3] = str(String(s.created ?? ''));
    fields[f + 4] = str(JSON.stringify(keyFacts(s)));
    fields[f + 5] = str(s.kind === 'alias' ? String(s.alias) : s.code?.commit);
    fields[f + 6] = s.parents?.length ?? 0;
    for (const par of s.parents ?? []) {
      pids.write(par.id, q * 32, 32, 'hex');
      proles[q++] = str(par.role);
    }
  });
  const blobs = strings.map((x) => Buffer.from(x, 'utf8'));
  const offsets = new Uint32Array(strings.length + 1);
  blobs.forEach((b, i) => { offsets[i + 1] = offsets[i]! + b.length; });
  let header = Buffer.from(JSON.stringify({ n, p, m: strings.length, broken }));
  header = Buffer.concat([header, Buffer.alloc((4 - ((4 + header.length) % 4)) % 4, 0x20)]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const u32 = (a: Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([len, header, ids, u32(fields), pids, u32(proles), u32(offsets), ...blobs]);
}

function loadFan(layout: StoreLayout, fan: string, old: FanSummaries | undefined): FanSummaries {
  const r: FanSummaries = {};
  for (const id of listIdsIn(layout.objects, fan)) {
    const key = id.slice(2);
    const known = old?.[key];
    if (known !== undefined && typeof known !== 'string') {
      r[key] = known;
      continue;
    }
    try {
      r[key] = summarise(parseRecordBytes(readObject(layout.objects, id), id));
    } catch (e) {
      r[key] = (e as Error).message;
    }
  }
  return r;
}

interface State {
  v: number;
  fans: Record<string, string>;
}

/** Bring every shard up to date with the objects on disk. */
export function refreshShards(layout: StoreLayout): { fans: string[]; changed: boolean } {
  const dir = shardDir(layout);
  const stateFile = path.join(dir, 'state.json');
  const loaded = readJson<State>(stateFile);
  const state: State = loaded && loaded.v === INDEX_VERSION && typeof loaded.fans === 'object' ? loaded : { v: INDEX_VERSION, fans: {} };
  const fans = listFanout(layout.objects);
  const present = new Set(fans);
  let changed = false;
  for (const fan of Object.keys(state.fans)) {
    if (!present.has(fan)) {
      delete state.fans[fan];
      changed = true;
    }
  }
  // Which shards are stale: stat every folder first (before any listing, so a write that
  // lands after the stat is seen next time).
  const todo: Array<{ fan: string; mtime: string; racy: boolean }> = [];
  for (const fan of fans) {
    let st: fs.BigIntStats;
    try {
      st = fs.statSync(path.join(layout.objects, fan), { bigint: true });
    } catch {
      continue;
    }
    const mtime = String(st.mtimeNs);
    const known = state.fans[fan];
    if (known !== undefined && known !== '' && known === mtime && fs.existsSync(path.join(dir, `${fan}.seg`))) continue;
    todo.push({ fan, mtime, racy: BigInt(Date.now()) * 1_000_000n - st.mtimeNs < RACY_MS * 1_000_000n });
  }
  const built = todo.length >= PARALLEL_FROM ? buildShardsInParallel(layout, todo.map((t) => t.fan)) : new Set<string>();
  for (const { fan, mtime, racy } of todo) {
    if (built.has(fan) || buildShard(layout, fan)) {
      state.fans[fan] = racy ? '' : mtime;
      changed = true;
    }
  }
  if (changed) {
    try {
      atomicWrite(stateFile, JSON.stringify(state));
    } catch {
      /* only a cache */
    }
  }
  return { fans, changed };
}

/** Rebuild one shard from its folder; false when it could not be written (kept in memory). */
export function buildShard(layout: StoreLayout, fan: string): boolean {
  const dir = shardDir(layout);
  const old = readJson<FanSummaries>(path.join(dir, `${fan}.json`));
  const records = loadFan(layout, fan, old && typeof old === 'object' ? old : undefined);
  try {
    fs.mkdirSync(dir, { recursive: true });
    atomicWrite(path.join(dir, `${fan}.json`), JSON.stringify(records));
    atomicWrite(path.join(dir, `${fan}.seg`), encodeSegment(fan, records));
    return true;
  } catch {
    // A read-only store or a full disk: serve from memory this time.
    memoryShards.set(`${layout.root}\u0000${fan}`, records);
    return false;
  }
}

/** From this many stale shards on (a cold index, a big pull), shards are built on all cores. */
const PARALLEL_FROM = 32;

/**
 * Build shards on worker threads (dist/index-worker.cjs), one per core, while this thread
 * waits on shared memory — the callers stay synchronous. Returns the shards built; any a
 * worker did not finish are built by the caller as usual.
 */
function buildShardsInParallel(layout: StoreLayout, fans: string[]): Set<string> {
  const workerFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'index-worker.cjs');
  const cores = Math.min(os.availableParallelism(), 8);
  if (cores < 2 || !fs.existsSync(workerFile)) return new Set();
  const done = new Int32Array(new SharedArrayBuffer(4 * (fans.length + 1)));
  const workers: Worker[] = [];
  for (let w = 0; w < cores; w++) {
    const mine = fans.map((fan, i) => ({ fan, i })).filter((_, i) => i % cores === w);
    workers.push(new Worker(workerFile, { workerData: { root: layout.root, jobs: mine, done } }));
  }
  // Wait until every job is marked done (1) or failed (2), or the workers all exited.
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    let finished = 0;
    for (let i = 0; i < fans.length; i++) if (Atomics.load(done, i) !== 0) finished++;
    if (finished === fans.length || Atomics.load(done, fans.length) === cores) break;
    Atomics.wait(done, fans.length, Atomics.load(done, fans.length), 50);
  }
  for (const w of workers) void w.terminate();
  return new Set(fans.filter((_, i) => Atomics.load(done, i) === 1));
}

/** Shards that could not be written (read-only store) live here for the process. */
const memoryShards = new Map<string, FanSummaries>();

export function readFanSummaries(layout: StoreLayout, fan: string): FanSummaries {
  return memoryShards.get(`${layout.root}\u0000${fan}`) ?? readJson<FanSummaries>(path.join(shardDir(layout), `${fan}.json`)) ?? loadFan(layout, fan, undefined);
}

function readSegment(layout: StoreLayout, fan: string): Buffer {
  const mem = memoryShards.get(`${layout.root}\u0000${fan}`);
  if (mem) return encodeSegment(fan, mem);
  try {
    return fs.readFileSync(path.join(shardDir(layout), `${fan}.seg`));
  } catch {
    return encodeSegment(fan, loadFan(layout, fan, undefined));
  }
}

interface Segment {
  fan: string;
  n: number;
  p: number;
  m: number;
  broken: Record<string, string>;
  ids: Buffer;
  fields: Uint32Array;
  pids: Buffer;
  proles: Uint32Array;
  offsets: Uint32Array;
  blob: Buffer;
}

function parseSegment(fan: string, raw: Buffer): Segment {
  // The u32 columns are viewed in place, which needs 4-byte alignment (pooled small reads may lack it).
  const buf = raw.byteOffset % 4 === 0 ? raw : Buffer.from(Uint8Array.prototype.slice.call(raw));
  const hlen = buf.readUInt32LE(0);
  const header = JSON.parse(buf.toString('utf8', 4, 4 + hlen)) as { n: number; p: number; m: number; broken: Record<string, string> };
  let o = 4 + hlen;
  const take = (bytes: number) => {
    if (o + bytes > buf.length) throw new Error('truncated segment');
    const part = buf.subarray(o, o + bytes);
    o += bytes;
    return part;
  };
  const u32 = (count: number) => {
    const part = take(count * 4);
    return new Uint32Array(part.buffer, part.byteOffset, count);
  };
  const ids = take(header.n * 32);
  const fields = u32(header.n * FIELDS);
  const pids = take(header.p * 32);
  const proles = u32(header.p);
  const offsets = u32(header.m + 1);
  const blob = take(offsets[header.m]!);
  if (o !== buf.length) throw new Error('bad segment length');
  return { fan, ...header, ids, fields, pids, proles, offsets, blob };
}

/**
 * Load the structure of the whole store. Warm: one read of `all.seg`, the shards merged
 * when they last changed, viewed in place. After a change: merge the 256 shard segments
 * (re-basing their string tables) and write `all.seg` for next time.
 */
export function loadStructure(layout: StoreLayout): Structure {
  const { fans, changed } = refreshShards(layout);
  const allFile = path.join(shardDir(layout), 'all.seg');
  if (!changed && memoryShards.size === 0) {
    try {
      return structureOf(parseSegment('', fs.readFileSync(allFile)));
    } catch {
      /* missing or damaged: merge the shards */
    }
  }
  const segs = fans.map((fan) => {
    try {
      return parseSegment(fan, readSegment(layout, fan));
    } catch {
      // A damaged shard is rebuilt from the objects.
      return parseSegment(fan, encodeSegment(fan, loadFan(layout, fan, undefined)));
    }
  });
  const merged = mergeSegments(segs);
  try {
    atomicWrite(allFile, segmentBytes(merged));
  } catch {
    /* only a cache */
  }
  return structureOf(merged);
}

function structureOf(seg: Segment): Structure {
  const parentStart = new Uint32Array(seg.n);
  let p = 0;
  for (let r = 0; r < seg.n; r++) {
    parentStart[r] = p;
    p += seg.fields[r * FIELDS + 6]!;
  }
  const broken = new Map(Object.entries(seg.broken).map(([k, v]) => [seg.fan + k, v] as [string, string]));
  return new Structure(seg.n, seg.ids, seg.fields, parentStart, seg.pids, seg.proles, seg.offsets, seg.blob, broken);
}

function segmentBytes(seg: Segment): Buffer {
  let header = Buffer.from(JSON.stringify({ n: seg.n, p: seg.p, m: seg.m, broken: seg.broken }));
  header = Buffer.concat([header, Buffer.alloc((4 - ((4 + header.length) % 4)) % 4, 0x20)]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const u32 = (a: Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([len, header, seg.ids, u32(seg.fields), seg.pids, u32(seg.proles), u32(seg.offsets), seg.blob]);
}

function mergeSegments(segs: Segment[]): Segment {
  const n = segs.reduce((k, s) => k + s.n, 0);
  const np = segs.reduce((k, s) => k + s.p, 0);
  const m = segs.reduce((k, s) => k + s.m, 0);
  const fields = new Uint32Array(n * FIELDS);
  const proles = new Uint32Array(np);
  const offsets = new Uint32Array(m + 1);
  const broken: Record<string, string> = {};
  let i = 0;
  let p = 0;
  let sBase = 0;
  let bBase = 0;
  const rebase = (v: number) => (v === NONE ? v : v + sBase);
  for (const seg of segs) {
    for (const [rest, reason] of Object.entries(seg.broken)) broken[seg.fan + rest] = reason;
    const f = seg.fields;
    for (let r = 0; r < seg.n; r++) {
      const a = r * FIELDS;
      const b = (i + r) * FIELDS;
      fields[b] = f[a]! + sBase;
      fields[b + 1] = rebase(f[a + 1]!);
      fields[b + 2] = f[a + 2]!;
      fields[b + 3] = f[a + 3]! + sBase;
      fields[b + 4] = f[a + 4]! + sBase;
      fields[b + 5] = rebase(f[a + 5]!);
      fields[b + 6] = f[a + 6]!;
    }
    for (let k = 0; k < seg.p; k++) proles[p + k] = seg.proles[k]! + sBase;
    for (let k = 0; k < seg.m; k++) offsets[sBase + k] = seg.offsets[k]! + bBase;
    i += seg.n;
    p += seg.p;
    sBase += seg.m;
    bBase += seg.blob.length;
  }
  offsets[m] = bBase;
  return {
    fan: '', n, p: np, m, broken,
    ids: Buffer.concat(segs.map((s) => s.ids), n * 32),
    fields,
    pids: Buffer.concat(segs.map((s) => s.pids), np * 32),
    proles,
    offsets,
    blob: Buffer.concat(segs.map((s) => s.blob), bBase),
  };
}

// The derived index under `.mlmeta/cache/index/`, one shard per fan-out folder:
//   XX.json — a summary of every record in objects/XX (all fields but bulky ones), for find,
//             which, status and log; read only when such a command needs it;
//   XX.seg  — the same records' structure in binary (segment.ts), merged into all.seg,
//             which every graph command reads: no JSON parse of record data at all.
//   state.json — each shard's folder mtime when it was built.
// A shard is rebuilt when its folder's mtime changed (adding or removing a file changes it,
// whoever does it: mlmeta, git checkout, git pull, cp); only new objects are parsed. A
// folder whose mtime is within RACY_MS (racy.ts) of the clock when it was read is not
// trusted next time (a write in the same clock tick would not move the mtime).
// Everything here can be deleted at any time; it is rebuilt.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseRecordBytes } from '../records/record.js';
import { readNoFollow, writeCacheFile } from '../store/atomic.js';
import type { StoreLayout } from '../store/location.js';
import { listFanout, listIdsIn, readObject } from '../store/objects.js';
import { encodeSegment, mergeSegments, overlayable, overlaySegments, parseSegment, segmentBytes, structureOf, type Segment, type Structure } from './segment.js';
import { isRacy } from '../store/racy.js';
import { summarise, type FanSummaries } from './summary.js';

const INDEX_VERSION = 6;
/** Up to this many changed shards are laid over all.seg when loading; more, and it is re-merged. */
const OVERLAY_MAX = 24;

function shardDir(layout: StoreLayout): string {
  return path.join(layout.cache, 'index');
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readNoFollow(file).toString('utf8')) as T;
  } catch {
    return undefined;
  }
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
  /** fan → folder mtime when its shard was built ('' when racy) */
  fans: Record<string, string>;
  /** fan → content hash of its .seg, to tell which shards all.seg holds as they are */
  gens: Record<string, string>;
}

/** Bring every shard up to date with the objects on disk. */
export function refreshShards(layout: StoreLayout): { fans: string[]; changed: boolean; gens: Record<string, string> } {
  const dir = shardDir(layout);
  const stateFile = path.join(dir, 'state.json');
  const loaded = readJson<State>(stateFile);
  const state: State = loaded && loaded.v === INDEX_VERSION && typeof loaded.fans === 'object' && typeof loaded.gens === 'object' ? loaded : { v: INDEX_VERSION, fans: {}, gens: {} };
  const fans = listFanout(layout.objects);
  const present = new Set(fans);
  let changed = false;
  for (const fan of Object.keys(state.fans)) {
    if (!present.has(fan)) {
      delete state.fans[fan];
      delete state.gens[fan];
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
    todo.push({ fan, mtime, racy: isRacy(st.mtimeNs) });
  }
  const built = todo.length >= PARALLEL_FROM ? buildShardsInParallel(layout, todo.map((t) => t.fan)) : new Set<string>();
  for (const { fan, mtime, racy } of todo) {
    const gen = built.has(fan) ? segmentGen(readSegmentFile(layout, fan)) : buildShard(layout, fan);
    if (gen) {
      state.fans[fan] = racy ? '' : mtime;
      state.gens[fan] = gen;
      changed = true;
    }
  }
  if (changed) writeCacheFile(stateFile, JSON.stringify(state));
  return { fans, changed, gens: state.gens };
}

function segmentGen(seg: Buffer | undefined): string | undefined {
  return seg ? createHash('sha256').update(seg).digest('hex').slice(0, 16) : undefined;
}

function readSegmentFile(layout: StoreLayout, fan: string): Buffer | undefined {
  try {
    return readNoFollow(path.join(shardDir(layout), `${fan}.seg`));
  } catch {
    return undefined;
  }
}

/** Rebuild one shard from its folder; returns its segment's hash, or undefined when it could not be written (kept in memory). */
export function buildShard(layout: StoreLayout, fan: string): string | undefined {
  const dir = shardDir(layout);
  const old = readJson<FanSummaries>(path.join(dir, `${fan}.json`));
  const records = loadFan(layout, fan, old && typeof old === 'object' ? old : undefined);
  const seg = encodeSegment(fan, records);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch {
    /* writeCacheFile fails below */
  }
  if (writeCacheFile(path.join(dir, `${fan}.json`), JSON.stringify(records)) && writeCacheFile(path.join(dir, `${fan}.seg`), seg)) return segmentGen(seg);
  // A read-only store or a full disk: serve from memory this time.
  memoryShards.set(`${layout.root}\u0000${fan}`, records);
  return undefined;
}

/** From this many stale shards on (a cold index, a big pull), shards are built on all cores. */
const PARALLEL_FROM = 32;

/**
 * What each worker thread runs: the worker bundle, then — however that ended, a throw at
 * load or at its top level included — a count in the last slot of `done`. The caller is
 * blocked on shared memory and cannot see a worker's 'error' or 'exit' events, so this
 * count is how it learns that a worker is gone.
 */
const WORKER_BOOT = `const { workerData: d } = require('node:worker_threads');
try { require(d.file); } finally { Atomics.add(d.done, d.done.length - 1, 1); Atomics.notify(d.done, d.done.length - 1); }`;

/**
 * A parallel build in which no shard and no worker finishes for this long is given up: a
 * worker that ends without running any JavaScript (killed out of memory) is never counted.
 * The caller then builds the shards left.
 */
const STALL_MS = 10_000;

/**
 * Build shards on worker threads (dist/index-worker.cjs), one per core, while this thread
 * waits on shared memory — the callers stay synchronous. Returns the shards built; any a
 * worker did not finish (it failed, crashed or was stuck) are built by the caller as usual.
 */
function buildShardsInParallel(layout: StoreLayout, fans: string[]): Set<string> {
  const workerFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'index-worker.cjs');
  const cores = Math.min(os.availableParallelism(), 8);
  if (cores < 2 || !fs.existsSync(workerFile)) return new Set();
  // one slot per job (0 pending, 1 built, 2 failed), then the count of workers finished
  const done = new Int32Array(new SharedArrayBuffer(4 * (fans.length + 1)));
  const exited = fans.length;
  const workers: Worker[] = [];
  for (let w = 0; w < cores; w++) {
    const mine = fans.map((fan, i) => ({ fan, i })).filter((_, i) => i % cores === w);
    const worker = new Worker(WORKER_BOOT, { eval: true, workerData: { file: workerFile, root: layout.root, jobs: mine, done } });
    // A worker's failure is seen through `done` and its shards are built here; its error
    // event, delivered once this thread is free, must not crash the process.
    worker.on('error', () => {});
    workers.push(worker);
  }
  let seen = -1;
  let since = Date.now();
  for (;;) {
    let finished = 0;
    for (let i = 0; i < fans.length; i++) if (Atomics.load(done, i) !== 0) finished++;
    const gone = Atomics.load(done, exited);
    if (finished === fans.length || gone === cores) break;
    if (finished + gone !== seen) {
      seen = finished + gone;
      since = Date.now();
    } else if (Date.now() - since > STALL_MS) {
      break;
    }
    Atomics.wait(done, exited, gone, 50);
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
    return readNoFollow(path.join(shardDir(layout), `${fan}.seg`));
  } catch {
    return encodeSegment(fan, loadFan(layout, fan, undefined));
  }
}

/**
 * Load the structure of the whole store. Warm: one read of `all.seg` (the shards merged),
 * viewed in place. After a few shards changed (a `record`, a small pull): all.seg with
 * those shards laid over it (no re-read of the other shards), written back. After many:
 * merge every shard again.
 */
export function loadStructure(layout: StoreLayout): Structure {
  const { fans, gens } = refreshShards(layout);
  const allFile = path.join(shardDir(layout), 'all.seg');
  const shard = (fan: string) => {
    try {
      return parseSegment(fan, readSegment(layout, fan));
    } catch {
      // A damaged shard is rebuilt from the objects.
      return parseSegment(fan, encodeSegment(fan, loadFan(layout, fan, undefined)));
    }
  };
  if (memoryShards.size === 0) {
    let base: Segment | undefined;
    try {
      base = parseSegment('', readNoFollow(allFile));
    } catch {
      base = undefined;
    }
    if (base?.gens && overlayable(base)) {
      const merged = base.gens;
      const stale = fans.filter((f) => merged[f] !== gens[f] || !base!.ranges![f]);
      const gone = Object.keys(merged).some((f) => gens[f] === undefined || !fans.includes(f));
      if (stale.length === 0 && !gone) return structureOf(base);
      if (stale.length <= OVERLAY_MAX) {
        const fresh = new Set(stale);
        let laid: Segment | undefined;
        try {
          laid = overlaySegments(base, fans.map((f) => (fresh.has(f) ? shard(f) : f)));
        } catch {
          laid = undefined; // a damaged all.seg: merge the shards again
        }
        if (laid) {
          laid.gens = Object.fromEntries(fans.map((f) => [f, gens[f] ?? '']));
          writeCacheFile(allFile, segmentBytes(laid));
          return structureOf(laid);
        }
      }
    }
  }
  const merged = mergeSegments(fans.map(shard));
  if (memoryShards.size === 0) {
    merged.gens = Object.fromEntries(fans.map((f) => [f, gens[f] ?? '']));
    writeCacheFile(allFile, segmentBytes(merged));
  }
  return structureOf(merged);
}


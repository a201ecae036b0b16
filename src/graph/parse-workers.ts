// A cold index build parses objects on worker threads, one per core, while the main thread
// writes their rows into SQLite (one writer: SQLite allows no more). Parsing YAML and
// reading the files are most of a cold build; the inserts are the rest.
//
// A worker runs this same module from the library bundle (bundleFile): loaded with
// `workerData[TAG]` set, it parses the folders it was given and posts
// each folder's rows on its port. The index API is synchronous, so the main thread takes
// those messages with receiveMessageOnPort and sleeps on shared memory (Atomics.wait)
// between them. A worker that fails to load or dies is noticed by a count the boot code
// keeps however the worker ends (or, if it is killed outright, by a stall timeout); the
// folders it did not deliver are parsed by the caller as usual.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, MessageChannel, receiveMessageOnPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { MlmetaError } from '../errors.js';
import { parseRecordBytes } from '../records/record.js';
import { readObjectsIn, trustedStamp } from '../store/objects.js';
import { rowsOf, type RecordRows } from './rows.js';

/** A record's rows, or why the object is left out (the index's `broken` table). */
export type Parsed = RecordRows | { id: string; error: string };

const TAG = 'mlmetaIndexParse';
/** At most this many workers (beyond that the single SQLite writer is the bottleneck). */
const MAX_WORKERS = 4;
/**
 * Folders posted but not yet taken by the main thread, at most: workers parse faster than
 * one SQLite writer inserts, and at 10^6 records their queued rows grew the heap past 1 GB
 * (and every full GC with it). Counted across workers.
 */
const AHEAD = 4;
/** With no folder delivered for this long, the workers are given up (one killed outright never reports). */
const STALL_MS = 60_000;

/** What the index makes of an object's bytes (or of the refusal to read it). */
export function parseBytes(id: string, bytes: Buffer | MlmetaError): Parsed {
  if (bytes instanceof MlmetaError) return { id, error: bytes.message };
  try {
    return rowsOf(id, parseRecordBytes(bytes, id));
  } catch (e) {
    return { id, error: (e as Error).message };
  }
}

interface Job {
  [TAG]: true;
  file: string;
  url: string;
  objects: string;
  fans: string[];
  port: MessagePort;
  /** [messages posted + workers finished, workers finished, folders taken by the main thread] */
  signal: Int32Array;
}

function bump(signal: Int32Array, slot: number): void {
  Atomics.add(signal, slot, 1);
  if (slot !== 0) Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

/** Set by BOOT before it loads this module: the main thread then never reads node:worker_threads here (the CLI loads it lazily, ~8 ms). */
const IN_PARSE_WORKER = Symbol.for('mlmeta.parse-worker');

// In a worker started below: parse, post, and return (the boot code counts the finish).
if ((globalThis as Record<symbol, unknown>)[IN_PARSE_WORKER] === true && !isMainThread && (workerData as Partial<Job> | null)?.[TAG] === true) {
  const job = workerData as Job;
  const { signal } = job;
  for (const fan of job.fans) {
    for (;;) {
      const taken = Atomics.load(signal, 2);
      if (Atomics.load(signal, 0) - Atomics.load(signal, 1) - taken < AHEAD) break;
      Atomics.wait(signal, 2, taken, 1000);
    }
    const rows: Parsed[] = [];
    const stamp = trustedStamp(job.objects, fan); // before the listing, for the index's freshness (index-db.ts writeFans)
    readObjectsIn(job.objects, fan, (id, bytes) => rows.push(parseBytes(id, bytes)));
    job.port.postMessage({ fan, rows, stamp });
    bump(job.signal, 0);
  }
}

/** Loads this module in the worker; counts the worker finished however the load ends. */
const BOOT = `const { workerData: d } = require('node:worker_threads');
globalThis[Symbol.for('mlmeta.parse-worker')] = true;
const end = () => { Atomics.add(d.signal, 1, 1); Atomics.add(d.signal, 0, 1); Atomics.notify(d.signal, 0); };
import(d.url).then(end, end);`;

/**
 * The built file a worker loads to run this module: the library bundle (dist/index.js). The
 * CLI bundle (dist/cli.cjs) evaluates each module only when first used (its commands load
 * lazily), so loading it runs nothing of this file: from there its sibling index.js is used.
 * Undefined when running from sources (under a test runner) or without that file.
 */
function bundleFile(): { file: string; url: string } | undefined {
  const url = import.meta.url;
  if (!url.startsWith('file:')) return undefined;
  let file = fileURLToPath(url);
  if (file.endsWith('.cjs')) file = path.join(path.dirname(file), 'index.js');
  if (!/\.(js|mjs)$/.test(file) || !fs.existsSync(file)) return undefined;
  return { file, url: pathToFileURL(file).href };
}

/** Whether parseOnWorkers can use more than the calling thread here. */
export function workersAvailable(): boolean {
  return bundleFile() !== undefined && os.availableParallelism() >= 2;
}

/**
 * Parse every object of these folders on worker threads, handing each folder's rows (one per
 * object listed, in the listing's order) and its trustedStamp taken before the listing to
 * `onFolder` on this thread as they arrive. Returns the folders no worker delivered.
 */
export function parseOnWorkers(objects: string, fans: string[], onFolder: (fan: string, rows: Parsed[], stamp: string | undefined) => void): string[] {
  const at = bundleFile();
  const n = Math.min(MAX_WORKERS, os.availableParallelism(), fans.length);
  if (at === undefined || n < 2) return fans;
  const signal = new Int32Array(new SharedArrayBuffer(12));
  const workers: Worker[] = [];
  const ports: MessagePort[] = [];
  const done = new Set<string>();
  try {
    for (let i = 0; i < n; i++) {
      const { port1, port2 } = new MessageChannel();
      const job: Job = { [TAG]: true, ...at, objects, fans: fans.filter((_, j) => j % n === i), port: port2, signal };
      const w = new Worker(BOOT, { eval: true, workerData: job, transferList: [port2] });
      w.on('error', () => {}); // seen through the finish count; its folders are parsed by the caller
      w.unref();
      workers.push(w);
      ports.push(port1);
    }
    const drain = () => {
      for (const p of ports) {
        for (let m = receiveMessageOnPort(p); m; m = receiveMessageOnPort(p)) {
          const { fan, rows, stamp } = m.message as { fan: string; rows: Parsed[]; stamp: string | undefined };
          Atomics.add(signal, 2, 1);
          Atomics.notify(signal, 2);
          done.add(fan);
          onFolder(fan, rows, stamp);
          last = Date.now();
        }
      }
    };
    let last = Date.now();
    for (;;) {
      const seen = Atomics.load(signal, 0);
      const finished = Atomics.load(signal, 1);
      drain();
      if (done.size === fans.length || finished === n || Date.now() - last > STALL_MS) break;
      Atomics.wait(signal, 0, seen, 1000);
    }
  } finally {
    for (const w of workers) void w.terminate();
    for (const p of ports) p.close();
  }
  return fans.filter((f) => !done.has(f));
}

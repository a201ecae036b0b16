// Scanning many listed files across the cores: worker threads (hash-worker.ts, built next to
// the bundle as dist/hash-worker.js) take batches of files as they come free and do for each
// what scan-file.ts says — stat it and answer from the stat cache, or hash it. The threads
// share one read of the stat cache file (memory they all see), so a re-check of unchanged
// data is stats and lookups on every core; the calling thread lists folders, then scans the
// queue's last batches itself and puts the answers in order. Few files, or no built worker (running from
// source), are scanned on the calling thread: a thread costs more to start than a small
// folder costs to scan.
//
// A batch travels as flat arrays (an object per file each way was most of the messaging).
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FAIL, HASHED, HIT, scanFile, type StatLike } from './scan-file.js';
import { StatCache } from './stat-cache.js';

/**
 * A batch to a thread. Most files come as a folder and a name (the calling thread never
 * joins them: two path strings per file, made and copied to the threads, were most of its
 * per-file work);
 * a path that is not UTF-8 comes whole, as bytes, with its stat-cache key.
 */
export interface BatchIn {
  /** the folders (absolute) of the files named in `names` */
  dirs: string[];
  /** per file: its folder's number in `dirs`, or -1 when the file is the next of `paths` */
  dirOf: Int32Array;
  /** the names of the files with a folder, in order, '\0'-joined (no name holds a NUL) */
  names: string;
  /** the files given whole (dirOf -1), in order */
  paths: Array<string | Uint8Array>;
  /** their stat-cache keys (null: the path itself) */
  keys: Array<string | null>;
  links: Uint8Array;
}

/**
 * A thread's answer, per file: a code; 5 numbers (HASHED: size, mtimeMs, ctimeMs, ino and
 * the moment before the read; HIT: the size); 64 hex digits for HIT and HASHED, in order.
 */
export interface BatchOut {
  codes: Uint8Array;
  numbers: Float64Array;
  sha256: string;
}

export type PoolAnswer =
  | { code: typeof HIT; sha256: string; size: number }
  | { code: typeof HASHED; sha256: string; size: number; stat: StatLike; hashedAt: number };

/** Below this many files, threads do not pay for their start. */
export const MIN_FILES = 256;
/** Files per message: large enough that messaging is noise, small enough to balance the load. */
const BATCH = 512;

function workerFile(): string | undefined {
  try {
    const file = fileURLToPath(new URL('./hash-worker.js', import.meta.url));
    return fs.existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** What a thread (hash-worker.ts, or the calling thread) does with a batch, against the shared read of the stat cache. */
export function scanBatch(b: BatchIn, cache: StatCache): BatchOut {
  const n = b.dirOf.length;
  const codes = new Uint8Array(n);
  const numbers = new Float64Array(5 * n);
  const shas: string[] = [];
  const names = b.names.split('\0');
  let named = 0;
  let whole = 0;
  for (let i = 0; i < n; i++) {
    const d = b.dirOf[i]!;
    let abs: string | Buffer;
    let key: string;
    if (d >= 0) {
      abs = key = joinPath(b.dirs[d]!, names[named++]!);
    } else {
      const p = b.paths[whole]!;
      abs = typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
      key = b.keys[whole++] ?? (p as string);
    }
    const known = cache.known(key);
    const r = scanFile({ abs, link: b.links[i] === 1, expected: known?.stat });
    codes[i] = r.code;
    if (r.code === HASHED) {
      numbers.set([r.size, r.stat.mtimeMs, r.stat.ctimeMs, r.stat.ino, r.hashedAt], 5 * i);
      shas.push(r.sha256);
    } else if (r.code === HIT) {
      numbers[5 * i] = known!.stat.size;
      shas.push(known!.sha256);
    }
  }
  return { codes, numbers, sha256: shas.join('') };
}

/** A folder's path and a name in it, as the walk has always joined them (`/` walked gives `//name`: recorded so). */
export const joinPath = (dir: string, name: string): string => `${dir}/${name}`;

interface Lane {
  w: Worker;
  /** the first file number of each batch sent and not yet answered, in order */
  sent: number[];
}

/** A batch waiting for a thread. */
interface Queued extends Omit<BatchIn, 'names'> {
  from: number;
  /** files in it */
  count: number;
  names: string[];
  /** dirs' last folder, by identity (a batch's files come folder by folder) */
  lastDir?: string;
}

const batchIn = ({ dirs, dirOf, names, paths, keys, links }: Queued): BatchIn => ({ dirs, dirOf, names: names.join('\0'), paths, keys, links });

/** Batches a thread holds at once: one to work on, one to start when it is done. */
const DEPTH = 2;

/**
 * Threads scanning files as a walk finds them: `start()` once the walk has found enough
 * files (the threads boot and read the stat cache while it goes on), `add()` each file (in
 * batches they start on as soon as they are free; the walk lets their answers in between
 * folders), `drain()` for every answer, `close()` always.
 */
export class ScanPool {
  private lanes: Lane[] = [];
  private readonly queue: Queued[] = [];
  private batch: Queued | undefined;
  private added = 0;
  private failed: unknown;
  private wake: (() => void) | undefined;
  /** the stat cache file as read once for every thread, and the calling thread's view of it */
  private shared: SharedArrayBuffer | undefined;
  private mine: StatCache | undefined;

  /**
   * `cacheFile`: the stat cache's file (StatCache.file); `done(i, answer)` is called per file
   * answered, as answers come in (a file skipped — not a regular file — gets none), `redo(i)`
   * for one a thread could not do (the caller does it, raising the error by name);
   * `worker`: the built hash-worker.js.
   */
  constructor(
    private readonly cacheFile: string | undefined,
    private readonly done: (i: number, a: PoolAnswer) => void,
    private readonly redo: (i: number) => void,
    private readonly worker: string | undefined = workerFile(),
  ) {}

  /**
   * Start the threads, one per core but the calling thread's (it scans too, once its walk is
   * done: on two cores a second thread cost ~80 ms of start-up to do what the calling thread
   * does after its walk); false when there are none to start (no built worker, one core).
   */
  start(): boolean {
    if (this.lanes.length) return true;
    const threads = Math.min(availableParallelism(), 8) - 1;
    if (!this.worker || threads < 1) return false;
    this.shared = StatCache.readShared(this.cacheFile);
    for (let t = 0; t < threads; t++) {
      const lane: Lane = { w: new Worker(this.worker, { workerData: { shared: this.shared } }), sent: [] };
      lane.w.on('message', (out: BatchOut) => {
        const from = lane.sent.shift()!;
        this.pump(); // the thread's next batch first, then the answers
        try {
          this.answer(from, out);
        } catch (e) {
          this.failed ??= e; // a redo's error, naming its file
        }
        this.pump();
      });
      lane.w.on('error', (e) => {
        this.failed ??= e;
        this.wake?.();
      });
      lane.w.on('exit', (code) => {
        if (lane.sent.length === 0) return;
        this.failed ??= new Error(`a hashing thread stopped (exit code ${code})`);
        this.wake?.();
      });
      this.lanes.push(lane);
    }
    return true;
  }

  /** The next file to scan, given whole (number = how many were added before it); `key`: its stat-cache key when `abs` is bytes. */
  add(abs: string | Buffer, link: boolean, key: string | null): void {
    const b = this.open();
    b.dirOf[b.count] = -1;
    b.paths.push(abs);
    b.keys.push(key);
    this.added1(b, link);
  }

  /** The next file to scan, named in its folder (both text; `dir` absolute). */
  addIn(dir: string, name: string, link: boolean): void {
    const b = this.open();
    if (b.lastDir !== dir) {
      b.dirs.push(dir);
      b.lastDir = dir;
    }
    b.dirOf[b.count] = b.dirs.length - 1;
    b.names.push(name);
    this.added1(b, link);
  }

  private open(): Queued {
    return (this.batch ??= { from: this.added, count: 0, dirs: [], dirOf: new Int32Array(BATCH), names: [], paths: [], keys: [], links: new Uint8Array(BATCH) });
  }

  private added1(b: Queued, link: boolean): void {
    b.links[b.count++] = link ? 1 : 0;
    this.added += 1;
    if (b.count === BATCH) this.flush();
  }

  private flush(): void {
    const b = this.batch;
    if (!b) return;
    this.batch = undefined;
    this.queue.push({ ...b, dirOf: b.dirOf.subarray(0, b.count), links: b.links.subarray(0, b.count) });
    this.pump();
  }

  private pump(): void {
    // after a failure nothing more is sent: drain() wakes and throws it
    for (const lane of this.failed === undefined ? this.lanes : []) {
      while (lane.sent.length < DEPTH && this.queue.length) {
        const q = this.queue.shift()!;
        lane.sent.push(q.from);
        lane.w.postMessage(batchIn(q));
      }
    }
    if (this.failed !== undefined || (this.queue.length === 0 && this.lanes.every((l) => l.sent.length === 0))) this.wake?.();
  }

  private answer(from: number, out: BatchOut): void {
    const n = out.numbers;
    let h = 0;
    for (let k = 0; k < out.codes.length; k++) {
      const i = from + k;
      const code = out.codes[k]!;
      const o = 5 * k;
      if (code === HIT) this.done(i, { code, sha256: out.sha256.slice(64 * h, 64 * ++h), size: n[o]! });
      else if (code === HASHED) {
        this.done(i, { code, sha256: out.sha256.slice(64 * h, 64 * ++h), size: n[o]!, stat: { size: n[o]!, mtimeMs: n[o + 1]!, ctimeMs: n[o + 2]!, ino: n[o + 3]! }, hashedAt: n[o + 4]! });
      } else if (code === FAIL) this.redo(i);
    }
  }

  /** Once all files are added: wait for every answer; a failure (a thread's, or one raised by redo) is thrown. */
  async drain(): Promise<void> {
    this.flush();
    // The calling thread scans the queue's last batches itself, one at a time, letting the
    // threads' answers in (and sending them more) between two.
    while (this.failed === undefined && this.queue.length) {
      const q = this.queue.pop()!;
      try {
        this.answer(q.from, scanBatch(batchIn(q), (this.mine ??= StatCache.fromShared(this.shared))));
      } catch (e) {
        this.failed ??= e; // a redo's error, naming its file
      }
      await new Promise(setImmediate);
    }
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.pump();
    });
    this.wake = undefined;
    if (this.failed !== undefined) throw this.failed;
  }

  async close(): Promise<void> {
    const ws = this.lanes.map((l) => l.w);
    this.lanes = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

// Scanning many listed files across the cores: worker threads (hash-worker.ts, built next to
// the bundle as dist/hash-worker.js) take batches of files as they come free and do for each
// what scan-file.ts says — stat it and answer from the stat cache, or hash it. Each thread
// reads the stat cache file itself while the calling thread still walks the folders, so a
// re-check of unchanged data is stats and lookups on every core and the calling thread only
// lists folders and puts the answers in order. Few files, or no built worker (running from
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

export type { StatLike };

export interface ScanJob {
  /** absolute path (bytes when it is not UTF-8) */
  abs: string | Buffer;
  /** listed as a symlink */
  link: boolean;
}

/** A batch to a thread: paths, stat-cache keys for paths sent as bytes, symlink flags. */
export interface BatchIn {
  paths: Array<string | Uint8Array>;
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

/** What a thread does with a batch (hash-worker.ts), against its own read of the stat cache. */
export function scanBatch(b: BatchIn, cache: StatCache): BatchOut {
  const n = b.paths.length;
  const codes = new Uint8Array(n);
  const numbers = new Float64Array(5 * n);
  const shas: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = b.paths[i]!;
    const key = typeof p === 'string' ? p : b.keys[i]!;
    const expected = cache.stat(key);
    const r = scanFile({ abs: typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength), link: b.links[i] === 1, expected });
    codes[i] = r.code;
    if (r.code === HASHED) {
      numbers.set([r.size, r.stat.mtimeMs, r.stat.ctimeMs, r.stat.ino, r.hashedAt], 5 * i);
      shas.push(r.sha256);
    } else if (r.code === HIT) {
      numbers[5 * i] = expected!.size;
      shas.push(cache.get(key, expected!)!);
    }
  }
  return { codes, numbers, sha256: shas.join('') };
}

/**
 * Threads for scanning, started on demand: `warm()` as soon as a walk has found enough files
 * (they boot and read the stat cache while it goes on), `scan()` for the list, `close()` always.
 */
export class ScanPool {
  private workers: Worker[] = [];

  /** `cacheFile`: the stat cache's file (StatCache.file); `worker`: the built hash-worker.js. */
  constructor(private readonly cacheFile: string | undefined, private readonly worker: string | undefined = workerFile()) {}

  warm(): void {
    if (this.workers.length || !this.worker) return;
    const threads = Math.min(availableParallelism(), 8);
    if (threads < 2) return;
    for (let i = 0; i < threads; i++) this.workers.push(new Worker(this.worker, { workerData: { cacheFile: this.cacheFile } }));
  }

  /**
   * Scan every job on the threads: `done(i, answer)` once per file answered (a file skipped —
   * not a regular file — gets none), `redo(i)` for one a thread could not do (the caller
   * does it, raising the error by name). False when there are too few files or no threads:
   * the caller scans on its own thread.
   */
  async scan(jobs: ScanJob[], keyOf: (i: number) => string, done: (i: number, a: PoolAnswer) => void, redo: (i: number) => void): Promise<boolean> {
    if (jobs.length < MIN_FILES) return false;
    this.warm();
    const lanes = this.workers.slice(0, Math.ceil(jobs.length / BATCH));
    if (lanes.length < 2) return false;
    let next = 0;
    await Promise.all(lanes.map((w) => new Promise<void>((resolve, reject) => {
      let from = 0;
      const send = () => {
        if (next >= jobs.length) return resolve();
        from = next;
        next = Math.min(jobs.length, next + BATCH);
        const paths: Array<string | Uint8Array> = [];
        const keys: Array<string | null> = [];
        const links = new Uint8Array(next - from);
        for (let i = from; i < next; i++) {
          const j = jobs[i]!;
          paths.push(j.abs);
          keys.push(typeof j.abs === 'string' ? null : keyOf(i));
          links[i - from] = j.link ? 1 : 0;
        }
        w.postMessage({ paths, keys, links } satisfies BatchIn);
      };
      const onMessage = (out: BatchOut) => {
        try {
          const n = out.numbers;
          let h = 0;
          for (let k = 0; k < out.codes.length; k++) {
            const i = from + k;
            const code = out.codes[k]!;
            const o = 5 * k;
            if (code === HIT) done(i, { code, sha256: out.sha256.slice(64 * h, 64 * ++h), size: n[o]! });
            else if (code === HASHED) {
              done(i, { code, sha256: out.sha256.slice(64 * h, 64 * ++h), size: n[o]!, stat: { size: n[o]!, mtimeMs: n[o + 1]!, ctimeMs: n[o + 2]!, ino: n[o + 3]! }, hashedAt: n[o + 4]! });
            } else if (code === FAIL) redo(i);
          }
        } catch (e) {
          w.off('message', onMessage);
          return reject(e);
        }
        send();
      };
      w.on('message', onMessage);
      w.once('error', reject);
      send();
    })));
    return true;
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

// Hashing many files across the cores: worker threads (hash-worker.ts, built next to the
// bundle as dist/hash-worker.js) take batches of files as they come free. Few files, or no
// built worker (running from source), hash on the calling thread: a thread costs more to
// start than a small file costs to hash.
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { hashFile } from './hash-file.js';

/** What the stat cache keeps of a file's stat. */
export interface StatLike {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export interface PooledHash {
  sha256: string;
  size: number;
  stat: StatLike;
}

export interface HashJob {
  /** the file's absolute path (bytes when it is not UTF-8) */
  abs: string | Buffer;
  /** its name in messages, computed only for an error */
  shown: () => string;
}

/** Below this many files, threads do not pay for their start. */
const MIN_FILES = 256;
/** Files per message: large enough that messaging is noise, small enough to balance the load. */
const BATCH = 128;

function workerFile(): string | undefined {
  try {
    const file = fileURLToPath(new URL('./hash-worker.js', import.meta.url));
    return fs.existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Hash every job; `done(i, h, hashedAt)` is called once per job, in no particular order, with
 * a moment before the file was read (for the stat cache's racy rule).
 */
export async function hashAll(jobs: HashJob[], done: (i: number, h: PooledHash, hashedAt: number) => void, opts: { worker?: string } = {}): Promise<void> {
  const file = jobs.length >= MIN_FILES ? opts.worker ?? workerFile() : undefined;
  const threads = Math.min(availableParallelism(), Math.ceil(jobs.length / BATCH), 8);
  if (!file || threads < 2) {
    jobs.forEach((j, i) => hashOne(j, i, done));
    return;
  }
  let next = 0;
  const workers = Array.from({ length: threads }, () => new Worker(file));
  try {
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      let batch: number[] = [];
      // When the batch went out, before any of its files was read: the racy rule's moment.
      let sentAt = 0;
      const send = () => {
        if (next >= jobs.length) return resolve();
        batch = [];
        sentAt = Date.now();
        for (; next < jobs.length && batch.length < BATCH; next++) batch.push(next);
        w.postMessage(batch.map((i) => jobs[i]!.abs));
      };
      w.on('message', (out: Array<PooledHash | null>) => {
        const hashedAt = sentAt;
        try {
          // A file the thread could not hash is hashed here: its error names it properly.
          out.forEach((h, k) => (h ? done(batch[k]!, h, hashedAt) : hashOne(jobs[batch[k]!]!, batch[k]!, done)));
        } catch (e) {
          return reject(e);
        }
        send();
      });
      w.on('error', reject);
      send();
    })));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function hashOne(j: HashJob, i: number, done: (i: number, h: PooledHash, hashedAt: number) => void): void {
  const hashedAt = Date.now();
  done(i, hashFile(j.abs, j.shown()), hashedAt);
}

// A scanning thread (hash-pool.ts): stats or hashes the files of each batch it is sent, in
// order, against the stat cache the calling thread read into memory shared by every thread.
// A file it cannot do comes back as FAIL; the calling thread does that one itself, so the
// error it raises names the file as the user gave it.
import { parentPort, workerData } from 'node:worker_threads';
import { scanBatch, type BatchIn } from './hash-pool.js';
import { StatCache } from './stat-cache.js';

// the stat cache as the calling thread read it, shared by every thread (StatCache.readShared)
const cache = StatCache.fromShared((workerData as { shared?: SharedArrayBuffer } | null)?.shared);

parentPort!.on('message', (b: BatchIn) => {
  const out = scanBatch(b, cache);
  parentPort!.postMessage(out, [out.codes.buffer as ArrayBuffer, out.numbers.buffer as ArrayBuffer]);
});

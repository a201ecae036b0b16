// A scanning thread (hash-pool.ts): stats or hashes the files of each batch it is sent, in
// order, against its own read of the stat cache (read once, while the calling thread walks).
// A file it cannot do comes back as FAIL; the calling thread does that one itself, so the
// error it raises names the file as the user gave it.
import { parentPort, workerData } from 'node:worker_threads';
import { scanBatch, type BatchIn } from './hash-pool.js';
import { StatCache } from './stat-cache.js';

const cache = new StatCache(undefined, (workerData as { cacheFile?: string } | null)?.cacheFile);
cache.known(''); // read it now, before the first batch arrives

parentPort!.on('message', (b: BatchIn) => {
  const out = scanBatch(b, cache);
  parentPort!.postMessage(out, [out.codes.buffer as ArrayBuffer, out.numbers.buffer as ArrayBuffer]);
});

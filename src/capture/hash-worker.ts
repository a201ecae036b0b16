// A hashing thread (hash-pool.ts): hashes the files of each batch it is sent, in order.
// A file it cannot hash comes back as null; the main thread hashes that one itself, so the
// error it raises names the file as the user gave it.
import { parentPort } from 'node:worker_threads';
import { hashFile } from './hash-file.js';
import type { PooledHash } from './hash-pool.js';

parentPort!.on('message', (files: Array<string | Uint8Array>) => {
  const out: Array<PooledHash | null> = files.map((f) => {
    try {
      const h = hashFile(typeof f === 'string' ? f : Buffer.from(f.buffer, f.byteOffset, f.byteLength));
      return { sha256: h.sha256, size: h.size, stat: { size: h.stat.size, mtimeMs: h.stat.mtimeMs, ctimeMs: h.stat.ctimeMs, ino: h.stat.ino } };
    } catch {
      return null;
    }
  });
  parentPort!.postMessage(out);
});

// One racer of test/store/lock.test.ts, bundled by esbuild at test time: increments a counter
// file COUNT times, each a read, a pause (to widen the race), and a write; under the lock
// unless MODE is "nolock". Usage: node lock-worker.cjs LOCK COUNTER COUNT MODE
import * as fs from 'node:fs';
import { withLock } from '../../src/store/lock.js';

const [lock, counter, count, mode] = process.argv.slice(2) as [string, string, string, string];
const pause = new Int32Array(new SharedArrayBuffer(4));

function increment(): void {
  const n = Number(fs.readFileSync(counter, 'utf8'));
  Atomics.wait(pause, 0, 0, 1);
  fs.writeFileSync(counter, String(n + 1));
}

for (let i = 0; i < Number(count); i++) {
  if (mode === 'nolock') increment();
  else withLock(lock, increment, { waitMs: 60_000, what: 'the test counter' });
}

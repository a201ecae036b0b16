// A worker thread of the parallel index build (see buildShardsInParallel, whose WORKER_BOOT
// loads this file and counts the worker finished however it ends): builds the shards it is
// given and marks each one in shared memory, 1 built, 2 failed.
import { workerData } from 'node:worker_threads';
import { layoutOf } from '../store/location.js';
import { buildShard } from './index-cache.js';

const { root, jobs, done } = workerData as { root: string; jobs: Array<{ fan: string; i: number }>; done: Int32Array };
const layout = layoutOf(root);
for (const { fan, i } of jobs) {
  let ok = false;
  try {
    ok = buildShard(layout, fan) !== undefined;
  } catch {
    ok = false;
  }
  Atomics.store(done, i, ok ? 1 : 2);
}

// One writer of the torture test: records in a loop through the library and prints each
// new id once `record` has returned. Usage: node torture-worker.mjs STORE WORKER COUNT SHARED
import { openStore } from '../../dist/index.js';

const [store, worker, count, shared] = process.argv.slice(2);
const s = openStore({ store, env: { MLMETA_AUTHOR: `worker ${worker}` } });
for (let i = 0; i < Number(count); i++) {
  const name = shared === '1' && i % 2 === 0 ? 'shared' : `w${worker}`;
  const { id } = await s.record({ kind: 'model', name, params: { worker: Number(worker), i }, code: 'none', env: 'none' });
  process.stdout.write(`${id}\n`);
}

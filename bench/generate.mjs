// Generate a large store for benchmarks: N records (default 100k) with
//  - a 10,000-deep version chain (model "deep"),
//  - one dataset feeding 10,000 models ("fan-<i>"),
//  - the rest: dataset/run/model triples with params and metrics.
// Objects are written directly (no fsync: this is test data), in canonical form.
// Usage: node bench/generate.mjs DIR [N]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalYaml, sha256Hex } from '../dist/index.js';

export function generateStore(dir, n = 100_000, { chain = 10_000, fan = 10_000 } = {}) {
  const objects = path.join(dir, '.mlmeta', 'objects');
  fs.mkdirSync(objects, { recursive: true });
  fs.writeFileSync(path.join(dir, '.mlmeta', 'config.yaml'), 'format: 1\n');
  fs.writeFileSync(path.join(dir, '.mlmeta', '.gitignore'), 'cache/\n');
  const made = new Set();
  let count = 0;
  const t0 = Date.parse('2025-01-01T00:00:00Z');
  const put = (rec) => {
    const bytes = canonicalYaml({ mlmeta: 1, author: 'Bench <bench@example.test>', created: new Date(t0 + count * 1000).toISOString(), ...rec });
    const id = sha256Hex(bytes);
    const fan = id.slice(0, 2);
    if (!made.has(fan)) { fs.mkdirSync(path.join(objects, fan), { recursive: true }); made.add(fan); }
    fs.writeFileSync(path.join(objects, fan, `${id.slice(2)}.yaml`), bytes);
    count++;
    return id;
  };
  const code = (i) => ({ commit: sha256Hex(`c${i}`).slice(0, 40), branch: 'main', dirty: false, remote: 'https://git.example.test/team/repo.git' });
  const ids = { chainHead: '', chainRoot: '', fanData: '' };
  // the deep chain
  let prev;
  for (let v = 1; v <= chain; v++) {
    prev = put({ kind: 'model', name: 'deep', version: v, ...(prev ? { parents: [{ role: 'previous', id: prev }] } : {}), params: { lr: 0.1, step: v }, metrics: { auc: 0.5 + (v % 500) / 1000 }, code: code(v) });
    if (v === 1) ids.chainRoot = prev;
  }
  ids.chainHead = prev;
  // one dataset feeding many models
  ids.fanData = put({ kind: 'dataset', name: 'big-data', version: 1, digest: sha256Hex('big'), file_count: 1000, size: 1e9 });
  for (let i = 0; i < fan; i++) {
    put({ kind: 'model', name: `fan-${i}`, version: 1, parents: [{ role: 'data', id: ids.fanData }], params: { lr: 0.01 * (i % 10), depth: i % 7 }, metrics: { auc: 0.6 + (i % 400) / 1000, loss: 1 - (i % 400) / 1000 }, code: code(i) });
  }
  // fill: dataset -> run -> model triples
  let i = 0;
  while (count < n) {
    const d = put({ kind: 'dataset', name: `data-${i % 1000}`, version: Math.floor(i / 1000) + 1, digest: sha256Hex(`d${i}`), file_count: i % 50, size: i * 10 });
    if (count >= n) break;
    const r = put({ kind: 'run', name: `run-${i}`, version: 1, parents: [{ role: 'data', id: d }], command: ['python', 'train.py'], exit_code: 0, status: 'succeeded', params: { lr: 0.001 * (i % 100) }, code: code(i) });
    if (count >= n) break;
    put({ kind: 'model', name: `model-${i}`, version: 1, parents: [{ role: 'run', id: r }, { role: 'data', id: d }], params: { lr: 0.001 * (i % 100), layers: [64, 32] }, metrics: { auc: 0.5 + (i % 500) / 1000 }, code: code(i) });
    i++;
  }
  return { count, ...ids };
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const dir = process.argv[2];
  if (!dir) { console.error('usage: node bench/generate.mjs DIR [N]'); process.exit(2); }
  const t = Date.now();
  const res = generateStore(dir, Number(process.argv[3] ?? 100_000));
  console.log(JSON.stringify({ ...res, seconds: (Date.now() - t) / 1000 }));
}

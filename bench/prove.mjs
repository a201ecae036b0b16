// Bench rows of issue 16 (reproduce, audit, sign), called from bench/run.mjs:
//   reproduce overhead beyond the command itself, on the demo project (target ≤ 1 s);
//   audit of a model with a 1,000-record ancestry (target ≤ 1 s).
// Run alone: node bench/prove.mjs (after npm run build).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(root, 'bin', 'mlmeta.js');

function mlmetaJson(cwd, env, ...args) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--json'], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`mlmeta ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const medianOf = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `row(what, ms, baseName, baseMs, target)` is bench/run.mjs's row maker. */
export async function proveRows({ row, work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-bench-prove-')), env = { ...process.env, MLMETA_DIR: '' } } = {}) {
  // reproduce on the demo: mlmeta's own time, around the command
  const demo = path.join(work, 'prove-demo');
  execFileSync(process.execPath, [BIN, 'demo', demo], { env, stdio: 'ignore' });
  const overhead = medianOf([0, 1, 2].map(() => mlmetaJson(demo, env, 'reproduce', 'churn-model@3').overheadSeconds * 1000));
  row('reproduce: overhead beyond the command (demo)', overhead, undefined, undefined, '≤ 1 s');

  // audit of a 1,000-record ancestry: a dataset, then 999 model versions, each on the last
  const deep = path.join(work, 'prove-deep');
  fs.mkdirSync(deep);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: deep });
  const { initStore } = await import(path.join(root, 'dist', 'index.js'));
  const { store } = initStore({ cwd: deep, env });
  const data = store.createRecord({ kind: 'dataset', name: 'd', code: 'none', env: 'none' }).id;
  let head;
  for (let i = 1; i < 1000; i++) head = store.createRecord({ kind: 'model', name: 'm', code: 'none', env: 'none', parentIds: i === 1 ? [{ role: 'data', id: data }] : [], metrics: { auc: i / 1000 } }).id;
  mlmetaJson(deep, env, 'show', head); // warm the index as any first command would
  const times = [0, 1, 2, 3, 4].map(() => {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [BIN, 'audit', head, '--json'], { cwd: deep, env, encoding: 'utf8', maxBuffer: 1 << 28 });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (JSON.parse(r.stdout).records !== 1000) throw new Error('audit did not walk 1,000 records');
    return ms;
  });
  row('audit of a model with a 1,000-record ancestry', medianOf(times), undefined, undefined, '≤ 1 s');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await proveRows({ row: (what, ms, _b, _bm, target) => process.stdout.write(`${what}: ${ms.toFixed(0)} ms (target ${target})\n`) });
}

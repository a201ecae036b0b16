// Issue 10's bench row: importing 10k MLflow runs (target ≤ 30 s). A generated mlruns tree
// in the shape MLflow 2.x's FileStore writes: one experiment, runs with 5 params, 3 tags,
// a 20-step `loss` curve and a final `acc`. Usable alone: `node bench/interop.mjs [RUNS]`.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'mlmeta.js');

export function generateMlruns(dir, runs) {
  const exp = path.join(dir, '1');
  fs.mkdirSync(exp, { recursive: true });
  fs.writeFileSync(path.join(exp, 'meta.yaml'), "artifact_location: mlflow-artifacts:/1\ncreation_time: 1700000000000\nexperiment_id: '1'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: bench\n");
  for (let i = 0; i < runs; i++) {
    const id = i.toString(16).padStart(32, '0');
    const run = path.join(exp, id);
    const start = 1700000000000 + i * 60_000;
    for (const sub of ['params', 'metrics', 'tags']) fs.mkdirSync(path.join(run, sub), { recursive: true });
    fs.writeFileSync(path.join(run, 'meta.yaml'), `artifact_uri: mlflow-artifacts:/1/${id}/artifacts\nend_time: ${start + 50_000}\nentry_point_name: ''\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: '${id}'\nrun_name: run-${i}\nrun_uuid: '${id}'\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: ${start}\nstatus: 3\ntags: []\nuser_id: bench\n`);
    for (const [k, v] of [['lr', String(0.001 * (1 + (i % 10)))], ['batch_size', '32'], ['epochs', '20'], ['optimizer', 'adam'], ['seed', String(i)]]) fs.writeFileSync(path.join(run, 'params', k), v);
    for (const [k, v] of [['mlflow.user', 'bench'], ['mlflow.source.name', 'train.py'], ['mlflow.source.git.commit', '0123456789abcdef0123456789abcdef01234567']]) fs.writeFileSync(path.join(run, 'tags', k), v);
    let loss = '';
    for (let s = 0; s < 20; s++) loss += `${start + s * 1000} ${1 / (s + 1 + (i % 7))} ${s}\n`;
    fs.writeFileSync(path.join(run, 'metrics', 'loss'), loss);
    fs.writeFileSync(path.join(run, 'metrics', 'acc'), `${start + 49_000} ${0.5 + (i % 50) / 100} 0\n`);
  }
}

/** Time `mlmeta import mlflow` of a generated tree into a fresh store; calls row(what, ms, …). */
export function benchInterop(work, row, runs = 10_000) {
  const dir = path.join(work, 'interop');
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
  execFileSync(process.execPath, [BIN, 'init'], { cwd: dir, stdio: 'ignore' });
  generateMlruns(path.join(dir, 'mlruns'), runs);
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, 'import', 'mlflow', 'mlruns'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MLMETA_DIR: '' } });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`import mlflow failed: ${r.stderr}`);
  row(`import mlflow: ${runs} runs (generated mlruns, 20-step curves)`, ms, undefined, undefined, '≤ 30 s');
  const t2 = process.hrtime.bigint();
  spawnSync(process.execPath, [BIN, 'import', 'mlflow', 'mlruns'], { cwd: dir, stdio: 'ignore', env: { ...process.env, MLMETA_DIR: '' } });
  row(`import mlflow again: ${runs} runs, nothing to add`, Number(process.hrtime.bigint() - t2) / 1e6);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-bench-interop-'));
  try {
    benchInterop(work, (what, ms, _b, _bm, target) => process.stdout.write(`${what}: ${(ms / 1000).toFixed(2)} s${target ? ` (target ${target})` : ''}\n`), Number(process.argv[2]) || 10_000);
  } finally {
    execFileSync('chmod', ['-R', 'u+w', work]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

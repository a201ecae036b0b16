// Start-up A/B (issue 13): the hot commands of two builds, run interleaved (A B, B A, ...),
// median CPU time (user+sys, from /usr/bin/time) and wall time of each, as ratios to a bare
// `node -e ""` measured in the same run. CPU time is the figure to compare on a shared machine.
//   node bench/startup-ab.mjs BEFORE_BIN [runs] [version|show|record|recordnone|run ...]
// e.g. BEFORE_BIN = a copy of another checkout's bin/ + dist/ (+ node_modules symlink).
// Makes its stores in a temp folder (a 1-record store; a repository of 10k tracked files)
// and removes them at the end.
import { spawnSync, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
const A = path.resolve(process.argv[2] ?? '');
const B = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'mlmeta.js');
if (!fs.existsSync(A)) throw new Error('usage: node bench/startup-ab.mjs BEFORE_BIN [runs] [commands...]');
const env = { ...process.env, MLMETA_DIR: '', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' };
const W = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-startup-ab-'));
process.on('exit', () => fs.rmSync(W, { recursive: true, force: true }));
const small = W + '/small', tracked = W + '/tracked';
{
  fs.mkdirSync(small, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: small });
  execFileSync(process.execPath, [B, 'init'], { cwd: small, env });
  fs.writeFileSync(W + '/id', execFileSync(process.execPath, [B, 'record', 'model', '--name', 'm', '--param', 'lr=0.1'], { cwd: small, env }).toString().trim());
  fs.mkdirSync(tracked);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: tracked });
  for (let d = 0; d < 10; d++) { fs.mkdirSync(`${tracked}/src${d}`); for (let i = 0; i < 1000; i++) fs.writeFileSync(`${tracked}/src${d}/m${i}.py`, `x = ${i}\n`); }
  execFileSync('git', ['add', '.'], { cwd: tracked }); execFileSync('git', ['commit', '-q', '-m', 'x'], { cwd: tracked, env });
  execFileSync(process.execPath, [B, 'init'], { cwd: tracked, env });
}
const id = fs.readFileSync(W + '/id', 'utf8');
const runs = Number(process.argv[3] ?? 7);
const CMDS = {
  version: [small, ['--version']],
  show: [small, ['show', id.slice(0, 8)]],
  record: [small, ['record', 'model', '--name', 'm', '--param', 'lr=0.2']],
  recordnone: [small, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none']],
  run: [tracked, ['run', '--', 'true']],
};
const want = process.argv.slice(4).length ? process.argv.slice(4) : Object.keys(CMDS);
const t = (cwd, argv) => {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', ...argv], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(argv.join(' ') + r.stderr);
  const [e, u, s] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall: e * 1000, cpu: (u + s) * 1000 };
};
const med = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const base = { wall: [], cpu: [] };
for (let i = 0; i < runs * 2; i++) { const x = t(small, [process.execPath, '-e', '']); base.wall.push(x.wall); base.cpu.push(x.cpu); }
const bw = med(base.wall), bc = med(base.cpu);
console.log(`node -e "": wall ${bw} cpu ${bc}   load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
for (const k of want) {
  const [cwd, argv] = CMDS[k];
  const a = { wall: [], cpu: [] }, b = { wall: [], cpu: [] };
  for (let i = 0; i < runs; i++) {
    for (const [bin, acc] of i % 2 ? [[A, a], [B, b]] : [[B, b], [A, a]]) { const x = t(cwd, [process.execPath, bin, ...argv]); acc.wall.push(x.wall); acc.cpu.push(x.cpu); }
  }
  const f = (v, bs) => `${v.toFixed(0)} (${(v / bs).toFixed(2)}×)`;
  console.log(`${k.padEnd(11)} before wall ${f(med(a.wall), bw)} cpu ${f(med(a.cpu), bc)} | after wall ${f(med(b.wall), bw)} cpu ${f(med(b.cpu), bc)}`);
}

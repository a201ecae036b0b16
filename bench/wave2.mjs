// The second wave's rows alone (issues 10, 11, 16), with a bare node start as the baseline
// in the same run: `npm run build && node bench/wave2.mjs [--only prove,python,interop]`
// (bench/run.mjs runs them too, after the store rows).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchInterop } from './interop.mjs';
import { proveRows } from './prove.mjs';
import { benchPython } from './python.mjs';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'mlmeta.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-bench-wave2-'));
const env = { ...process.env, MLMETA_DIR: '', GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@x' };
const time = (cmd, argv, opts = {}) => {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd: opts.cwd ?? work, env: { ...env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const median = (fn, runs = 7) => Array.from({ length: runs }, fn).sort((a, b) => a - b)[Math.floor(runs / 2)];
const row = (what, ms, baseName, baseMs, target) => {
  const ratio = baseMs ? ` (${(ms / baseMs).toFixed(2)}× ${baseName})` : '';
  process.stdout.write(`| ${what} | ${ms.toFixed(0)} ms${ratio} | ${target ?? ''} |\n`);
};
process.stdout.write(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n| row | time | target |\n| --- | ---: | --- |\n`);
row('baseline: node -e ""', median(() => time(process.execPath, ['-e', '']), 11));
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : ['prove', 'python', 'interop'];
if (only.includes('prove')) await proveRows({ row, work, env });
if (only.includes('python')) benchPython({ work, bin: BIN, env, row, median, time });
if (only.includes('interop')) benchInterop(work, row);
fs.rmSync(work, { recursive: true, force: true });

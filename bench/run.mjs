// `npm run bench`: every speed target of the issues, measured against baselines run in the
// same script (bare node start, git, openssl), on generated stores. Prints one table and
// writes it to docs/BENCH.md with the machine it ran on.
// Flags: --records N (default 100000), --quick (10000 records, smaller data), --no-remote,
//        --store-only (only the store and graph rows), --no-write (do not update docs/BENCH.md).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateStore } from './generate.mjs';
import { benchPython } from './python.mjs';
import { proveRows } from './prove.mjs';
import { benchInterop } from './interop.mjs';
import { benchUi } from './ui.mjs';
import { bulkRows } from './bulk.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const BIN = path.join(root, 'bin', 'mlmeta.js');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const N = Number(args[args.indexOf('--records') + 1]) > 0 && args.includes('--records') ? Number(args[args.indexOf('--records') + 1]) : quick ? 10_000 : 100_000;
const BIG_FILE_MB = quick ? 256 : 1024;
const DATA_FILES = quick ? 10_000 : 100_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-bench-'));
const env = { ...process.env, MLMETA_DIR: '', GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@x' };
const rows = [];

function time(cmd, argv, opts = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd: opts.cwd ?? work, env: { ...env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30, shell: opts.shell ?? false });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr}`);
  return ms;
}
// From 1M records on, each store row is a median of 3 (not 5 or 7; the baselines keep their 11):
// a whole run must fit in 20 minutes on 2 cores.
const RUNS_CAP = N >= 1_000_000 ? 3 : Infinity;
function median(fn, runs = 7) {
  const xs = Array.from({ length: runs > 7 ? runs : Math.min(runs, RUNS_CAP) }, fn).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}
const mlmeta = (cwd, ...a) => time(process.execPath, [BIN, ...a], { cwd });
function row(what, ms, baseName, baseMs, target) {
  const ratio = baseMs ? ms / baseMs : undefined;
  rows.push({ what, ms, baseName, baseMs, ratio, target });
  process.stderr.write(`${what}: ${ms.toFixed(0)} ms${ratio ? ` (${ratio.toFixed(2)}× ${baseName})` : ''}\n`);
}
const git = (cwd, ...a) => execFileSync('git', a, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 }).toString();

// ---------- baselines ----------
const nodeStart = median(() => time(process.execPath, ['-e', '']), 11);
row('baseline: node -e ""', nodeStart);
const gitVersion = median(() => time('git', ['--version']), 11);
row('baseline: git --version', gitVersion);

// ---------- start-up, hashing, run, push/pull: bench/bulk.mjs (issue 13) ----------
const bulk = (only, big) => bulkRows({ time, median, row, mlmeta, git, work, nodeStart, big, N, quick, args, root, BIN, env }, only);
await bulk(['startup']);

// ---------- big store ----------
const big = path.join(work, 'big');
fs.mkdirSync(big);
git(big, 'init', '-q', '-b', 'main');
let t0 = Date.now();
const gen = generateStore(big, N);
process.stderr.write(`generated ${gen.count} records in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
const cold = mlmeta(big, 'find', '--kind', 'dataset', '--limit', '1');
row(`first command, cold index (${N} records)`, cold, undefined, undefined, '≤ 6 s at 100k, ≤ 60 s at 1M');
const indexFile = path.join(big, '.mlmeta/cache/index.sqlite');
const indexBytes = ['', '-wal'].reduce((n, x) => n + (fs.existsSync(indexFile + x) ? fs.statSync(indexFile + x).size : 0), 0);
process.stderr.write(`index: ${(indexBytes / 2 ** 20).toFixed(1)} MiB, ${(indexBytes / gen.count).toFixed(0)} bytes per record\n`);
rows.push({ what: `index size (${N} records)`, ms: NaN, text: `${(indexBytes / 2 ** 20).toFixed(1)} MiB`, target: `${(indexBytes / gen.count).toFixed(0)} bytes per record` });
row(`show PREFIX (${N} records)`, median(() => mlmeta(big, 'show', gen.chainHead.slice(0, 10))), 'node start', nodeStart, '≤ 2×, flat in store size');
row(`show NAME@N (${N} records)`, median(() => mlmeta(big, 'show', 'deep@5'), 5), 'node start', nodeStart, '≤ 2× at 1M');
// fan-2: the UI rows (bench/ui.mjs) read the data parent of fan-1's newest version
row(`record model, next version (${N} records)`, median(() => mlmeta(big, 'record', 'model', '--name', 'fan-2', '--code', 'none', '--env', 'none'), 5), 'node start', nodeStart, '≤ 2.5× at 1M');
row('lineage of a 10,000-deep chain, --json, warm', median(() => mlmeta(big, 'lineage', gen.chainHead, '--json'), 5), 'node start', nodeStart, '≤ 0.3 s');
row('descendants of a dataset feeding 10k models, warm', median(() => mlmeta(big, 'lineage', gen.fanData, '--down', '--kind', 'model', '--json'), 5), 'node start', nodeStart, '≤ 0.3 s');
row('find with a metrics filter, warm', median(() => mlmeta(big, 'find', '--kind', 'model', '--where', 'metrics.auc > 0.95', '--limit', '10'), 5), 'node start', nodeStart, '≤ 0.2 s at 100k');
const findSorted = ['find', '--kind', 'model', '--where', 'metrics.auc > 0.9', '--sort', 'metrics.auc', '--limit', '20'];
row('find, metrics filter, sorted by the metric, --limit 20, warm', median(() => mlmeta(big, ...findSorted), 5), 'node start', nodeStart, '≤ 0.3 s at 1M');
row('find, page 50 of 20 (--offset 980), sorted by created, warm', median(() => mlmeta(big, 'find', '--limit', '20', '--offset', '980'), 5), 'node start', nodeStart, '≤ 0.2 s at 100k');
row('log NAME (one line), warm', median(() => mlmeta(big, 'log', 'deep', '--json'), 3), 'node start', nodeStart);
// Peak memory of the heaviest queries (whole process, max RSS).
const rssFile = path.join(work, 'rss');
const peak = (...a) => {
  time(process.execPath, ['--require', path.join(here, 'maxrss.cjs'), BIN, ...a], { cwd: big, env: { MLMETA_BENCH_RSS: rssFile } });
  return Number(fs.readFileSync(rssFile, 'utf8')) / 1024;
};
const rss = Math.max(peak('lineage', gen.chainHead, '--json'), peak('lineage', gen.fanData, '--down', '--json'), peak(...findSorted), peak('find', '--kind', 'model', '--limit', '100'));
process.stderr.write(`peak memory of a query: ${rss.toFixed(0)} MiB\n`);
rows.push({ what: 'peak memory of a query (lineage up/down, find; max RSS)', ms: NaN, text: `${rss.toFixed(0)} MiB`, target: '≤ 200 MB' });
const warm = median(() => mlmeta(big, 'show', 'deep@5'), 5);
// a "git pull" that adds 1,000 records: objects arrive from outside mlmeta
const extra = path.join(work, 'extra');
fs.mkdirSync(extra);
generateStore(extra, 1000, { chain: 1000, fan: 0 });
for (const fan of fs.readdirSync(path.join(extra, '.mlmeta/objects'))) {
  fs.mkdirSync(path.join(big, '.mlmeta/objects', fan), { recursive: true });
  for (const f of fs.readdirSync(path.join(extra, '.mlmeta/objects', fan))) fs.copyFileSync(path.join(extra, '.mlmeta/objects', fan, f), path.join(big, '.mlmeta/objects', fan, f));
}
row('next command after 1,000 records arrive (show NAME@N)', mlmeta(big, 'show', 'deep@5'), 'warm show NAME@N', warm, '≤ 1 s');
await benchUi(big, row);

if (args.includes('--store-only')) {
  report();
  process.exit(0);
}

await bulk(['hash', 'run', 'remote'], big);

// ---------- issue 11: logging from Python ----------
benchPython({ work, bin: BIN, env, row, median, time });
await proveRows({ row: (what, ms, baseName, baseMs, target) => row(what, ms, baseName, baseMs, target), work, env });
// ---------- issue 10: import ----------
benchInterop(work, row);

// ---------- report ----------
report();

function report() {
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const lines = [
  '# Benchmarks',
  '',
  `Run by \`npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}, ${git(work, '--version').trim()}, ${N} generated records.`,
  'Times are medians of several runs of the whole command (process start included); ratios compare with the baseline measured in the same run.',
  '',
  '| operation | time | baseline | ratio | target |',
  '| --- | ---: | --- | ---: | --- |',
  ...rows.map((r) => `| ${r.what} | ${r.text ?? ''}${Number.isNaN(r.ms) ? '' : r.ms >= 1000 ? `${(r.ms / 1000).toFixed(2)} s` : `${r.ms.toFixed(0)} ms`} | ${r.baseName ? `${r.baseName} ${r.baseMs >= 1000 ? `${(r.baseMs / 1000).toFixed(2)} s` : `${r.baseMs.toFixed(0)} ms`}` : ''} | ${r.ratio ? `${r.ratio.toFixed(2)}×` : ''} | ${r.target ?? ''} |`),
  '',
];
process.stdout.write(lines.join('\n'));
// Only a whole run replaces the table at the top (a partial one would drop the rows it skips).
const partial = ['--store-only', '--quick', '--no-remote'].some((a) => args.includes(a));
if (partial && !args.includes('--no-write')) process.stderr.write('a partial run: docs/BENCH.md not written\n');
if (!partial && !args.includes('--no-write')) {
  const file = path.join(root, 'docs', 'BENCH.md');
  // The run's table replaces the top one; the dated sections below it (earlier runs, profiles,
  // what stands in the way) and the notes stay.
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const rest = old.indexOf('\n### ') >= 0 ? old.slice(old.indexOf('\n### ') + 1) : old.includes('\n## Notes') ? old.slice(old.indexOf('\n## Notes') + 1) : '';
  fs.writeFileSync(file, lines.join('\n') + (rest ? `\n${rest}` : ''));
}
execFileSync('chmod', ['-R', 'u+w', work]);
fs.rmSync(work, { recursive: true, force: true });
}

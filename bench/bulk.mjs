// The bulk-path rows of `npm run bench` (issue 13): start-up, data hashing, `run` (and
// `datalad run` when DataLad is installed), push and pull over HTTP. Called from run.mjs
// with its helpers; also runs on its own for quick checks:
//   node bench/bulk.mjs [--records N] [--files N] [--only startup,hash,run,remote]
// (it then prints its rows and writes nothing).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateStore } from './generate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * ctx: { time, median, row, mlmeta, git, work, nodeStart, big (a generated store or undefined),
 *        N, quick, args, root }
 */
export async function bulkRows(ctx, only = ['startup', 'hash', 'run', 'remote']) {
  if (only.includes('startup')) startup(ctx);
  if (only.includes('hash')) hashing(ctx);
  if (only.includes('run')) wrapping(ctx);
  if (only.includes('remote') && !ctx.args.includes('--no-remote')) await remote(ctx);
}

function startup({ median, row, mlmeta, git, work, nodeStart, BIN, env }) {
  const small = path.join(work, 'small-bulk');
  fs.mkdirSync(small);
  git(small, 'init', '-q', '-b', 'main');
  mlmeta(small, 'init');
  const id = execFileSync(process.execPath, [BIN, 'record', 'model', '--name', 'm', '--param', 'lr=0.1'], { cwd: small, env }).toString().trim();
  row('show PREFIX (1-record store)', median(() => mlmeta(small, 'show', id.slice(0, 8))), 'node start', nodeStart, '≤ 1.5×');
  row('record model (1-record store, code+env captured)', median(() => mlmeta(small, 'record', 'model', '--name', 'm', '--param', 'lr=0.2')), 'node start', nodeStart, '≤ 2×');
  row('record model --code none --env none', median(() => mlmeta(small, 'record', 'model', '--name', 'm', '--code', 'none', '--env', 'none')), 'node start', nodeStart, '≤ 2×');
  row('--version (yargs + bundle load only)', median(() => mlmeta(small, '--version')), 'node start', nodeStart);
}

function hashing({ time, median, row, mlmeta, git, work, quick, files }) {
  const BIG_FILE_MB = quick ? 256 : 1024;
  const DATA_FILES = files ?? (quick ? 10_000 : 100_000);
  const data = path.join(work, 'data');
  fs.mkdirSync(data);
  const bigFile = path.join(data, 'big.bin');
  {
    const fd = fs.openSync(bigFile, 'w');
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < BIG_FILE_MB; i++) { chunk.fill(i & 255); chunk.writeUInt32LE(i, 0); fs.writeSync(fd, chunk); }
    fs.closeSync(fd);
  }
  const openssl = median(() => time('openssl', ['dgst', '-sha256', bigFile]), 3);
  row(`baseline: openssl dgst -sha256, ${BIG_FILE_MB} MiB`, openssl);
  const hashProj = path.join(work, 'hashproj');
  fs.mkdirSync(hashProj);
  git(hashProj, 'init', '-q', '-b', 'main');
  mlmeta(hashProj, 'init');
  const hashOnce = () => { fs.rmSync(path.join(hashProj, '.mlmeta/cache'), { recursive: true, force: true }); return mlmeta(hashProj, 'record', 'dataset', '--name', `f${Math.random()}`, bigFile); };
  row(`hash ${BIG_FILE_MB} MiB file (record dataset, no cache)`, median(hashOnce, 3), 'openssl', openssl, 'throughput ≥ openssl (ratio ≤ 1.0)');
  fs.rmSync(bigFile);

  const many = path.join(work, 'many');
  fs.mkdirSync(many);
  for (let d = 0; d < DATA_FILES / 1000; d++) {
    fs.mkdirSync(path.join(many, `d${d}`));
    for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(many, `d${d}`, `f${i}.csv`), `row ${d} ${i}\n`);
  }
  const past = new Date(Date.now() - 3600_000);
  for (const d of fs.readdirSync(many)) for (const f of fs.readdirSync(path.join(many, d))) fs.utimesSync(path.join(many, d, f), past, past);
  const findOpenssl = median(() => time('sh', ['-c', `find ${many} -type f -print0 | xargs -0 openssl dgst -sha256 > /dev/null`]), 3);
  row(`baseline: find -print0 + xargs -0 openssl, ${DATA_FILES} files`, findOpenssl);
  // A first hash is a first record of the data: each run in a new store (no stat cache, an
  // index that does not hold the manifest), so the manifest is built, written and indexed as
  // when a user versions the folder for the first time. (Removing .mlmeta/cache instead made
  // each run rebuild the index from the manifest already stored, and reuse the dataset.)
  let manyProj;
  const first = median(() => {
    if (manyProj) fs.rmSync(manyProj, { recursive: true, force: true });
    manyProj = fs.mkdtempSync(path.join(work, 'manyproj-'));
    mlmeta(manyProj, 'init');
    return mlmeta(manyProj, 'record', 'dataset', many, '--name', 'many', '--code', 'none', '--env', 'none');
  }, 3);
  row(`first hash of a ${DATA_FILES}-file dataset (a new store)`, first, 'find+xargs openssl', findOpenssl, '≤ 1×');
  row(`re-check of the unchanged ${DATA_FILES}-file dataset (stat cache)`, median(() => mlmeta(manyProj, 'record', 'dataset', many, '--name', 'many', '--code', 'none', '--env', 'none'), 3), undefined, undefined, '≤ 0.6 s');
  fs.rmSync(many, { recursive: true, force: true });
}

function wrapping({ time, median, row, mlmeta, git, work, nodeStart, env }) {
  const tracked = path.join(work, 'tracked');
  fs.mkdirSync(tracked);
  git(tracked, 'init', '-q', '-b', 'main');
  for (let d = 0; d < 10; d++) { fs.mkdirSync(path.join(tracked, `src${d}`)); for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(tracked, `src${d}`, `m${i}.py`), `x = ${i}\n`); }
  git(tracked, 'add', '.');
  git(tracked, 'commit', '-q', '-m', 'many files');
  mlmeta(tracked, 'init');
  row('baseline: git status, 10k tracked files', median(() => time('git', ['status', '--porcelain'], { cwd: tracked }), 5));
  const mlRun = median(() => mlmeta(tracked, 'run', '--', 'true'), 5);
  row('run -- true (10k tracked files, code+env captured)', mlRun, 'node start', nodeStart, '≤ 2×');
  if (spawnSync('datalad', ['--version'], { stdio: 'ignore' }).status !== 0) {
    process.stderr.write('datalad is not installed: no `datalad run` row (apt-get install datalad)\n');
    return;
  }
  // The same 10k tracked files in a DataLad dataset; `datalad run` records the command in a commit.
  const dl = path.join(work, 'datalad');
  execFileSync('datalad', ['create', dl], { env, stdio: 'ignore' });
  for (let d = 0; d < 10; d++) { fs.mkdirSync(path.join(dl, `src${d}`)); for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(dl, `src${d}`, `m${i}.py`), `x = ${i}\n`); }
  execFileSync('datalad', ['save', '-m', 'many files'], { cwd: dl, env, stdio: 'ignore' });
  const dlRun = median(() => time('datalad', ['run', '-m', 'bench', 'true'], { cwd: dl }), 5);
  row('baseline: datalad run true (same 10k tracked files)', dlRun);
  row('mlmeta run -- true vs datalad run true', mlRun, 'datalad run', dlRun, '≤ 0.25×');
}

async function remote({ time, row, mlmeta, git, work, big, N, root }) {
  const remotes = path.join(work, 'remotes');
  fs.mkdirSync(remotes);
  git(remotes, 'init', '-q', '--bare', '-b', 'main', 'store.git');
  git(remotes, 'init', '-q', '--bare', '-b', 'main', 'native.git');
  const server = spawn(process.execPath, [path.join(root, 'test/helpers/git-http-server.mjs'), remotes], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve) => server.stdout.once('data', (d) => resolve(d.toString().trim())));
  try {
    git(big, 'remote', 'add', 'origin', `${url}/store.git`);
    const push = mlmeta(big, 'push');
    // native: the same objects (our sync repository), pushed by git to a fresh bare repo over HTTP
    const sync = path.join(big, '.mlmeta/cache/sync.git');
    const tip = git(remotes, '--git-dir', 'store.git', 'rev-parse', 'refs/mlmeta/store').trim();
    const nativePush = time('git', ['--git-dir', sync, 'push', '-q', `${url}/native.git`, `${tip}:refs/mlmeta/store`]);
    row('baseline: git push of the same objects over HTTP', nativePush);
    row(`push of ${N} records to a fresh HTTP remote`, push, 'git push', nativePush, '≤ 1.3×');
    const clone = path.join(work, 'clone');
    fs.mkdirSync(clone);
    git(clone, 'init', '-q', '-b', 'main');
    git(clone, 'remote', 'add', 'origin', `${url}/store.git`);
    const nativeClone = path.join(work, 'nativeclone');
    fs.mkdirSync(nativeClone);
    git(nativeClone, 'init', '-q', '--bare');
    const nativeFetch = time('git', ['--git-dir', nativeClone, 'fetch', '-q', `${url}/store.git`, 'refs/mlmeta/store:refs/x']);
    row('baseline: git fetch of the store ref over HTTP', nativeFetch);
    row(`pull of ${N} records into an empty clone`, mlmeta(clone, 'pull'), 'git fetch', nativeFetch, '≤ 1.5×');
    mlmeta(big, 'record', 'model', '--name', 'incremental', '--code', 'none', '--env', 'none');
    row('incremental push of 1 new record', mlmeta(big, 'push'), undefined, undefined, '≤ 1 s');
    row('incremental pull of 1 new record', mlmeta(clone, 'pull'), undefined, undefined, '≤ 1 s');
  } finally {
    server.kill('SIGTERM');
  }
}

// ---- on its own ----
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
  const root = path.resolve(here, '..');
  const BIN = path.join(root, 'bin', 'mlmeta.js');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-bulk-'));
  const env = { ...process.env, MLMETA_DIR: '', GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@x' };
  const time = (cmd, argv, o = {}) => {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, argv, { cwd: o.cwd ?? work, env: { ...env, ...o.env }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr}`);
    return ms;
  };
  const median = (fn, runs = 7) => Array.from({ length: runs }, fn).sort((a, b) => a - b)[Math.floor(runs / 2)];
  const row = (what, ms, baseName, baseMs, target) => process.stderr.write(`${what}: ${ms.toFixed(0)} ms${baseMs ? ` (${(ms / baseMs).toFixed(2)}× ${baseName})` : ''}${target ? `  [${target}]` : ''}\n`);
  const git = (cwd, ...a) => execFileSync('git', a, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 }).toString();
  const mlmeta = (cwd, ...a) => time(process.execPath, [BIN, ...a], { cwd });
  const only = opt('--only', 'startup,hash,run,remote').split(',');
  const N = Number(opt('--records', 20_000));
  const nodeStart = median(() => time(process.execPath, ['-e', '']), 11);
  row('baseline: node -e ""', nodeStart);
  let big;
  if (only.includes('remote')) {
    big = path.join(work, 'big');
    fs.mkdirSync(big);
    git(big, 'init', '-q', '-b', 'main');
    generateStore(big, N, { chain: Math.min(10_000, N / 10), fan: Math.min(10_000, N / 10) });
  }
  try {
    await bulkRows({ time, median, row, mlmeta, git, work, nodeStart, big, N, quick: false, files: Number(opt('--files', 20_000)), args, root, BIN, env }, only);
  } finally {
    execFileSync('chmod', ['-R', 'u+w', work]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

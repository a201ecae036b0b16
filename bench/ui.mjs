// `mlmeta ui` on the big bench store: each page's server time (the Server-Timing the server
// reports: the page's queries, layout and HTML, not the network), warm — the median of 5
// after one warm-up request — and the first contentful paint of the slowest page in
// Chromium (skipped, with a note, where there is no /usr/bin/chromium).
// Called by bench/run.mjs; alone: node bench/ui.mjs DIR (a store made by bench/generate.mjs).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, '..', 'bin', 'mlmeta.js');
const CHROMIUM = process.env.MLMETA_CHROMIUM ?? '/usr/bin/chromium';

function start(dir) {
  const child = spawn(process.execPath, [BIN, 'ui', '--port', '0'], { cwd: dir, env: { ...process.env, MLMETA_DIR: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      const m = /(http:\/\/\S+\/)/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.once('exit', (code) => reject(new Error(`mlmeta ui exited ${code}`)));
  });
}

async function serverMs(url) {
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return Number(/dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1]);
}

async function idOf(url, pick) {
  return pick(await (await fetch(url)).json());
}

/** The pages measured: the heaviest of each kind in the bench store (10,000-version line, a dataset feeding 10,000 models). */
async function pagesOf(url) {
  const deep = await idOf(`${url}model/deep.json`, (j) => j.versions[0].id);
  const fan = await idOf(`${url}model/fan-1.json`, (j) => j.versions[0].id);
  const bigData = await idOf(`${url}record/${fan}.json?depth=1`, (j) => j.parents.find((p) => p.role === 'data').id);
  const prev = await idOf(`${url}record/${deep}.json?depth=1`, (j) => j.parents.find((p) => p.role === 'previous').id);
  return [
    ['home', ''],
    ['model, 10,000 versions', 'model/deep'],
    ['model, sorted by a metric', 'model/deep?sort=metrics.auc&order=asc'],
    ['model, page 100', 'model/deep?page=100'],
    ['record + lineage graph, 10,000-deep chain', `record/${deep}`],
    ['record + lineage graph, dataset feeding 10,000 models', `record/${bigData}?depth=3`],
    ['dataset feeding 10,000 models', 'dataset/big-data'],
    ['diff', `diff/${prev}/${deep}`],
    ['search, metrics filter', `search?q=${encodeURIComponent('kind = model and metrics.auc > 0.95')}`],
  ];
}

async function firstPaint(url) {
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-bench-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const paints = [];
    for (let i = 0; i < 5; i++) {
      await page.goto(url, { waitUntil: 'load' });
      paints.push(await page.evaluate(() => new Promise((resolve) => {
        new PerformanceObserver((list) => {
          const fcp = list.getEntries().find((e) => e.name === 'first-contentful-paint');
          if (fcp) resolve(fcp.startTime);
        }).observe({ type: 'paint', buffered: true });
        setTimeout(() => resolve(NaN), 5000);
      })));
    }
    return paints.sort((a, b) => a - b)[2];
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** Measure and add the rows (row(what, ms, baseName, baseMs, target) as in run.mjs). */
export async function benchUi(dir, row) {
  const { url, child } = await start(dir);
  try {
    let slowest = { ms: -1, path: '' };
    for (const [what, p] of await pagesOf(url)) {
      await serverMs(url + p);
      const xs = [];
      for (let i = 0; i < 5; i++) xs.push(await serverMs(url + p));
      const ms = xs.sort((a, b) => a - b)[2];
      if (ms > slowest.ms) slowest = { ms, path: p };
      row(`ui: ${what}, server time, warm`, ms, undefined, undefined, '≤ 150 ms');
    }
    if (fs.existsSync(CHROMIUM)) row(`ui: first contentful paint in Chromium, slowest page (/${slowest.path.split('?')[0]})`, await firstPaint(url + slowest.path), undefined, undefined, '≤ 1 s');
    else process.stderr.write(`ui: no Chromium at ${CHROMIUM}; first paint not measured\n`);
  } finally {
    child.kill('SIGTERM');
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const dir = process.argv[2];
  if (!dir) { console.error('usage: node bench/ui.mjs DIR'); process.exit(2); }
  await benchUi(dir, (what, ms) => console.log(`${what}: ${ms.toFixed(1)} ms`));
}

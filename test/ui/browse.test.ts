// `mlmeta ui` in a real browser: the demo store (plus a hostile record and a record with
// metric curves) served by the built CLI, driven in Debian's Chromium. Every page visited
// must load without a console error.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStore } from '../../bench/generate.mjs';
import { buildHistory } from '../../src/records/history.js';
import { canonicalYaml } from '../../src/records/yaml.js';
import { sha256Hex } from '../../src/store/objects.js';
import { ok } from '../helpers/cli.js';
import { tempDir } from '../helpers/dirs.js';
import { browser, serve, type Browser, type Served } from './harness.js';

const HOSTILE_NAME = '<script>window.__pwned=1</script>';
const HOSTILE_KEY = '<img src=x onerror=window.__pwned=2>';
const HOSTILE_VALUE = '<script>window.__pwned=3</script>';
// no '.': the index keeps only keys a dotted path can name, and this one must reach the chart
const HOSTILE_METRIC = '<img src=x onerror=alert(2)>';
const HOSTILE_MESSAGE = '<img src=x onerror="window.__pwned=4"><svg onload="window.__pwned=5">';

let demo: string;
let big: string;
let srv: Served;
let bigSrv: Served;
let b: Browser;
let ids: { m1: string; m2: string; m3: string; d1: string; d2: string; hostile: string; curves: string };

function putObject(store: string, bytes: Buffer): string {
  const id = sha256Hex(bytes);
  const dir = path.join(store, '.mlmeta', 'objects', id.slice(0, 2));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${id.slice(2)}.yaml`), bytes);
  return id;
}

const json = async (url: string) => (await fetch(url)).json() as Promise<Record<string, any>>;

beforeAll(async () => {
  const root = tempDir('mlmeta-ui-');
  demo = path.join(root, 'demo');
  ok(root, ['demo', demo]);
  const log = JSON.parse(ok(demo, ['log', '--json'])) as Array<{ id: string; name: string; version: number; kind: string }>;
  const find = (name: string, v: number) => log.find((e) => e.name === name && e.version === v)!.id;
  fs.writeFileSync(path.join(root, 'hostile.json'), JSON.stringify({ [HOSTILE_KEY]: HOSTILE_VALUE }));
  fs.writeFileSync(path.join(root, 'hostile-metrics.json'), JSON.stringify({ auc: 0.5, [HOSTILE_METRIC]: 1 }));
  const hostile = ok(demo, ['record', 'model', '--name', HOSTILE_NAME, '--params', path.join(root, 'hostile.json'), '--metrics', path.join(root, 'hostile-metrics.json'), '-m', HOSTILE_MESSAGE]);
  // A run with training curves in the shared history format: loss inline, acc in a series object (> 200 points).
  const { history, objects } = buildHistory({
    loss: [0, 1, 2, 3].map((step) => ({ step, value: 1 / (step + 1), time: 1_700_000_000_000 + step })),
    acc: Array.from({ length: 250 }, (_, step) => ({ step, value: step / 250 })),
  });
  for (const o of objects) putObject(demo, o.bytes);
  const curves = putObject(demo, Buffer.from(canonicalYaml({ mlmeta: 1, kind: 'run', name: 'curves', version: 1, created: '2026-01-01T00:00:00Z', parents: [{ role: 'data', id: find('data', 2) }], history })));
  ids = { m1: find('churn-model', 1), m2: find('churn-model', 2), m3: find('churn-model', 3), d1: find('data', 1), d2: find('data', 2), hostile, curves };
  big = path.join(root, 'big');
  fs.mkdirSync(big);
  generateStore(big, 400, { chain: 120, fan: 12 });
  [srv, bigSrv, b] = await Promise.all([serve(demo), serve(big), browser()]);
}, 120_000);

afterAll(async () => {
  await b?.close();
  await srv?.stop();
  await bigSrv?.stop();
});

describe('mlmeta ui in Chromium', () => {
  it('home: the production model, with its latest version and main metric; the JSON twin says the same', async () => {
    const res = await b.page.goto(srv.url);
    expect(res!.status()).toBe(200);
    expect(res!.headers()['content-security-policy']).toContain("script-src 'self'");
    const row = b.page.locator('#models tbody tr', { hasText: 'churn-model' });
    await expect.poll(() => row.locator('.alias').textContent()).toBe('production → v3');
    expect(await row.locator('td').nth(2).textContent()).toContain('0.85');
    const twin = await json(`${srv.url}index.json`);
    const names = await b.page.locator('#models tbody th').allTextContents();
    expect(names).toEqual(twin.models.rows.map((r: { name: string }) => r.name));
    expect(twin.models.rows.find((r: { name: string }) => r.name === 'churn-model').aliases).toEqual([{ alias: 'production', versions: [3] }]);
    expect(await b.page.locator('#datasets tbody th').allTextContents()).toEqual(['data']);
    expect(b.errors).toEqual([]);
  });

  it('model: versions with aliases on their rows, differing columns, sorting, a chart per metric; a click on a point opens that version', async () => {
    await b.page.goto(srv.url);
    await b.page.getByRole('link', { name: 'churn-model', exact: true }).click();
    await b.page.waitForURL('**/model/churn-model');
    const versions = () => b.page.locator('#versions tbody th').allTextContents();
    expect(await versions()).toEqual(['v3', 'v2', 'v1']);
    expect(await b.page.locator('#versions tbody tr').first().locator('.alias').textContent()).toBe('production');
    const heads = await b.page.locator('#versions thead th').allTextContents();
    expect(heads).toEqual(expect.arrayContaining(['params.lr', 'params.epochs', 'metrics.auc']));
    // sort by the metric, ascending then descending (server side: the URL changes)
    await b.page.locator('#versions thead th a', { hasText: 'metrics.auc' }).click();
    await b.page.waitForURL(/sort=metrics\.auc/);
    expect(await versions()).toEqual(['v3', 'v2', 'v1']);
    await b.page.locator('#versions thead th a', { hasText: 'metrics.auc' }).click();
    await b.page.waitForURL(/order=asc/);
    expect(await versions()).toEqual(['v1', 'v2', 'v3']);
    const twin = await json(`${srv.url}model/churn-model.json?sort=metrics.auc&order=asc`);
    expect(twin.versions.map((v: { version: number }) => `v${v.version}`)).toEqual(await versions());
    expect(twin.aliasHistory[0]).toMatchObject({ alias: 'production', target: ids.m3, version: 3 });
    // charts: one per metric, drawn by uPlot; the newest point is at the right edge
    await b.page.goto(`${srv.url}model/churn-model`);
    const plot = b.page.locator('figure.chart', { hasText: 'auc' }).locator('.u-over');
    await expect.poll(() => plot.count()).toBe(1);
    const box = (await plot.boundingBox())!;
    await b.page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    await b.page.mouse.click(box.x + box.width - 2, box.y + box.height / 2);
    await b.page.waitForURL(`**/record/${ids.m3}`);
    expect(b.errors).toEqual([]);
  });

  it('record: the lineage graph around it (data, run, commits as nodes), depth control, click to navigate', async () => {
    await b.page.goto(`${srv.url}record/${ids.m3}`);
    const labels = async () => (await b.page.locator('svg.lineage [data-id]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-kind')} ${e.getAttribute('data-label')}`))).sort();
    const two = await labels();
    expect(two).toEqual(expect.arrayContaining(['model churn-model@3', 'model churn-model@2', 'model churn-model@1', 'dataset data@2', 'run churn-model-run@3']));
    expect(two.filter((l) => l.startsWith('commit ')).length).toBeGreaterThanOrEqual(1);
    expect(await b.page.locator('svg.lineage .root').getAttribute('data-label')).toBe('churn-model@3');
    await b.page.getByRole('link', { name: '1', exact: true }).click();
    await b.page.waitForURL(/depth=1/);
    const one = await labels();
    expect(one).not.toContain('model churn-model@1');
    expect(one).toEqual(expect.arrayContaining(['model churn-model@2', 'dataset data@2', 'run churn-model-run@3']));
    const twin = await json(`${srv.url}record/${ids.m3}.json?depth=1`);
    expect(twin.lineage.nodes.map((n: { kind: string; label: string }) => `${n.kind} ${n.label}`).sort()).toEqual(one);
    expect(twin.warnings).toEqual([]);
    // parents by name@version; a click on a graph node opens that record
    expect(await b.page.locator('#parents li').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('data@2')]));
    await b.page.locator(`svg.lineage a[data-id="${ids.d2}"]`).click();
    await b.page.waitForURL(`**/record/${ids.d2}`);
    expect(await b.page.locator('#children li').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('churn-model@3')]));
    expect(b.errors).toEqual([]);
  });

  it('record: a model without data lineage says so', async () => {
    await b.page.goto(`${srv.url}record/${ids.hostile}`);
    expect(await b.page.locator('.warn').first().textContent()).toContain('No data lineage');
  });

  it('diff: any two versions side by side, the same content as `mlmeta diff --json`', async () => {
    await b.page.goto(`${srv.url}record/${ids.m3}`);
    await b.page.getByRole('link', { name: 'compare with churn-model@2' }).click();
    await b.page.waitForURL(`**/diff/${ids.m2}/${ids.m3}`);
    const cli = JSON.parse(ok(demo, ['diff', ids.m2, ids.m3, '--json']));
    expect(await json(`${srv.url}diff/${ids.m2}/${ids.m3}.json`)).toEqual(cli);
    const metric = b.page.locator('#metrics-h + table tbody tr', { hasText: 'auc' });
    expect((await metric.locator('td').allTextContents()).map((t) => t.trim())).toEqual(['0.81', '0.85', '+0.04']);
    expect(await b.page.locator('.datachange').textContent()).toContain('customers.csv');
    // any two versions, by ref, from the model page's compare form
    await b.page.goto(`${srv.url}model/churn-model`);
    await b.page.getByLabel('Compare').fill('churn-model@1');
    await b.page.getByLabel('with').fill('churn-model@production');
    await b.page.getByRole('button', { name: 'Compare' }).click();
    await b.page.waitForURL(/compare\?from=/);
    expect(await b.page.locator('h1').textContent()).toBe('Compare model churn-model@1 → model churn-model@3');
    expect(await json(`${srv.url}compare.json?from=churn-model%401&to=churn-model%40production`)).toEqual(JSON.parse(ok(demo, ['diff', 'churn-model@1', 'churn-model@production', '--json'])));
    expect(b.errors).toEqual([]);
  });

  it('dataset: versions, file counts, the files changed, the models that used each version', async () => {
    await b.page.goto(`${srv.url}dataset/data`);
    expect(await b.page.locator('#versions tbody th').allTextContents()).toEqual(['v2', 'v1']);
    expect(await b.page.locator('#changes').textContent()).toContain('data/customers.csv');
    const twin = await json(`${srv.url}dataset/data.json`);
    expect(twin.changes.changes).toMatchObject({ changed: ['data/customers.csv'], added: [], removed: [] });
    const v1 = b.page.locator(`#versions tr[data-id="${ids.d1}"]`);
    expect(await v1.textContent()).toContain('churn-model@2');
    expect(b.errors).toEqual([]);
  });

  it('record: metric curves from the history field (inline points and a series object)', async () => {
    await b.page.goto(`${srv.url}record/${ids.curves}`);
    await expect.poll(() => b.page.locator('figure.chart canvas').count()).toBe(2);
    const data = await b.page.locator('script.chart-data').evaluateAll((els) => els.map((e) => JSON.parse(e.textContent!)));
    expect(data.map((d) => [d.metric, d.x.length])).toEqual([['acc', 250], ['loss', 4]]);
    expect(data[1].y).toEqual([1, 0.5, 1 / 3, 0.25]);
    expect(b.errors).toEqual([]);
  });

  it('search takes the find language; a bad expression is a readable error', async () => {
    await b.page.goto(srv.url);
    await b.page.getByRole('searchbox').fill('kind = model and metrics.auc > 0.8');
    await b.page.keyboard.press('Enter');
    await b.page.waitForURL(/search\?q=/);
    expect((await b.page.locator('#results tbody th').allTextContents()).sort()).toEqual(['churn-model@2', 'churn-model@3']);
    const bad = await b.page.goto(`${srv.url}search?q=${encodeURIComponent('metrics.auc >')}`);
    expect(bad!.status()).toBe(400);
    expect(await b.page.locator('.warn').textContent()).toContain('expected a value');
    b.errors.length = 0; // the 400 itself is logged as a failed resource
  });

  it('a hostile record shows as text: no script runs, no element is injected', async () => {
    for (const url of [`${srv.url}record/${ids.hostile}`, `${srv.url}model/${encodeURIComponent(HOSTILE_NAME).replace(/\./g, '%2E')}`, srv.url, `${srv.url}search?q=${encodeURIComponent('name ~ script')}`]) {
      const res = await b.page.goto(url);
      expect(res!.status(), url).toBe(200);
      expect(await b.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? null)).toBeNull();
      expect(await b.page.locator('main img, main script:not([type="application/json"]), main [onerror], main [onload]').count()).toBe(0);
      expect(await b.page.locator('main').textContent()).toContain(HOSTILE_NAME);
    }
    // its metric named like an element is charted, the name as text in the legend
    await b.page.goto(`${srv.url}model/${encodeURIComponent(HOSTILE_NAME).replace(/\./g, '%2E')}`);
    await expect.poll(() => b.page.locator('figure.chart canvas').count()).toBe(2);
    expect(await b.page.locator('figure.chart figcaption').allTextContents()).toContain(HOSTILE_METRIC);
    expect(await b.page.locator('.u-legend').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining(HOSTILE_METRIC)]));
    expect(await b.page.locator('#versions thead').textContent()).toContain(`metrics.${HOSTILE_METRIC}`);
    expect(await b.page.locator('main img, main [onerror]').count()).toBe(0);
    await b.page.goto(`${srv.url}record/${ids.hostile}`);
    const text = await b.page.locator('main').textContent();
    for (const s of [HOSTILE_KEY, HOSTILE_VALUE, HOSTILE_MESSAGE]) expect(text).toContain(s);
    expect(await b.page.locator('svg.lineage .root').getAttribute('data-label')).toBe(`${HOSTILE_NAME}@1`);
    expect(b.dialogs).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it('sorting and paging on a 120-version line, answered by the server page by page', async () => {
    await b.page.goto(`${bigSrv.url}model/deep`);
    const versions = async () => (await b.page.locator('#versions tbody th').allTextContents()).map((t) => Number(t.slice(1)));
    const first = await versions();
    expect(first).toHaveLength(50);
    expect(first[0]).toBe(120);
    expect(await b.page.locator('.pager .range').textContent()).toBe('1–50 of 120');
    await b.page.getByRole('link', { name: 'next ›' }).click();
    await b.page.waitForURL(/page=2/);
    expect((await versions())[0]).toBe(70);
    await b.page.getByRole('link', { name: 'next ›' }).click();
    expect(await versions()).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));
    await b.page.goto(`${bigSrv.url}model/deep?sort=params.step&order=asc`);
    expect((await versions()).slice(0, 3)).toEqual([1, 2, 3]);
    // "only the columns that differ": lr is the same in every version, step is not
    const heads = await b.page.locator('#versions thead th').allTextContents();
    expect(heads.some((h) => h.startsWith('params.step'))).toBe(true);
    expect(heads.some((h) => h.startsWith('params.lr'))).toBe(false);
    await b.page.getByRole('link', { name: /^All columns/ }).click();
    expect((await b.page.locator('#versions thead th').allTextContents()).some((h) => h.startsWith('params.lr'))).toBe(true);
    // the dataset feeding 12 models: a handful in the graph, the rest in one cluster node
    const fan = await json(`${bigSrv.url}index.json`);
    expect(fan.datasets.total).toBeGreaterThan(0);
    const data = (await json(`${bigSrv.url}model/fan-0.json`)).versions[0].id as string;
    const rec = await json(`${bigSrv.url}record/${data}.json?depth=1`);
    const bigData = rec.parents.find((p: { role: string }) => p.role === 'data').id as string;
    await b.page.goto(`${bigSrv.url}record/${bigData}`);
    const kinds = await b.page.locator('svg.lineage [data-kind]').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds.filter((k) => k === 'model')).toHaveLength(5);
    expect(await b.page.locator('svg.lineage [data-kind="cluster"]').getAttribute('data-label')).toBe('+7 more children');
    expect(b.errors).toEqual([]);
  });

  it('a JSON twin opened in a tab loads without a console error (the favicon the browser asks for is no 404)', async () => {
    const tab = await b.context.newPage();
    const seen = b.errors.length;
    const res = await tab.goto(`${srv.url}index.json`);
    expect(res!.status()).toBe(200);
    expect(res!.headers()['content-type']).toBe('application/json; charset=utf-8');
    // the icon request follows the load; give it time to answer
    await tab.waitForTimeout(800);
    await tab.close();
    expect(b.errors.slice(seen)).toEqual([]);
  });

  it('--export writes the pages as a static site that works from file://', async () => {
    const out = path.join(tempDir('mlmeta-export-'), 'site');
    expect(ok(demo, ['ui', '--export', out])).toMatch(/^wrote \d+ pages/);
    await b.page.goto(pathToFileURL(path.join(out, 'index.html')).href);
    await b.page.getByRole('link', { name: 'churn-model', exact: true }).click();
    await b.page.waitForURL('**/model/churn-model.html');
    await expect.poll(() => b.page.locator('figure.chart canvas').count()).toBeGreaterThan(0);
    await b.page.getByRole('link', { name: 'v3', exact: true }).first().click();
    await b.page.waitForURL(`**/record/${ids.m3}.html`);
    expect(await b.page.locator(`svg.lineage [data-id="${ids.d2}"]`).count()).toBe(1);
    await b.page.getByRole('link', { name: 'compare with churn-model@2' }).click();
    await b.page.waitForURL(`**/diff/${ids.m2}_${ids.m3}.html`);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'diff', `${ids.m2}_${ids.m3}.json`), 'utf8'))).toEqual(JSON.parse(ok(demo, ['diff', ids.m2, ids.m3, '--json'])));
    expect(b.errors).toEqual([]);
  });
});

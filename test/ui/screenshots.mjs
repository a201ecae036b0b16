// Screenshots for the docs (docs/screenshots/*.png), from the demo store: `mlmeta demo`,
// `mlmeta ui`, Debian's Chromium via playwright-core. Run after `npm run build`:
//   node test/ui/screenshots.mjs
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(root, 'bin', 'mlmeta.js');
const out = path.join(root, 'docs', 'screenshots');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-shots-'));
const demo = path.join(work, 'demo');
const env = { ...process.env, MLMETA_DIR: '' };
execFileSync(process.execPath, [BIN, 'demo', demo], { env, stdio: 'ignore' });
const ui = spawn(process.execPath, [BIN, 'ui', '--port', '0'], { cwd: demo, env, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve) => {
  let text = '';
  ui.stdout.on('data', (b) => { text += b; const m = /(http:\/\/\S+\/)/.exec(text); if (m) resolve(m[1]); });
});
const profile = path.join(work, 'profile');
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.MLMETA_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  viewport: { width: 1200, height: 820 },
});
try {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  fs.mkdirSync(out, { recursive: true });
  await page.goto(url);
  await page.getByRole('link', { name: 'churn-model', exact: true }).click();
  await page.locator('figure.chart canvas').first().waitFor();
  await page.screenshot({ path: path.join(out, 'model.png') });
  await page.goto(url);
  await page.locator('.startlink').click();
  await page.locator('svg.lineage').waitFor();
  await page.screenshot({ path: path.join(out, 'lineage.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.getByRole('link', { name: /^compare with/ }).click();
  await page.screenshot({ path: path.join(out, 'diff-dark.png') });
} finally {
  await ctx.close();
  ui.kill('SIGTERM');
  fs.rmSync(work, { recursive: true, force: true });
}
console.log(`screenshots in ${out}`);

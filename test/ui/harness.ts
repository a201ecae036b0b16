// The UI under test: a real store made by the built CLI, `mlmeta ui` started as a child
// process (its printed URL parsed), and Debian's Chromium driven by playwright-core. No
// browser is ever downloaded; a missing Chromium fails loudly (CI installs it: .ci/run).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { BIN } from '../helpers/cli.js';
import { gitEnv } from '../helpers/dirs.js';

export const CHROMIUM = process.env.MLMETA_CHROMIUM ?? '/usr/bin/chromium';

export interface Served {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Start `mlmeta ui ARGS` in `cwd` and wait for the URL it prints. */
export function serve(cwd: string, args: string[] = ['--port', '0']): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'ui', ...args], { cwd, env: { ...process.env, ...gitEnv, MLMETA_DIR: '', MLMETA_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`mlmeta ui printed no URL in 20 s: ${out} ${err}`)); }, 20_000);
    child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /(http:\/\/[^\s]+\/)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const url = m[1]!;
      resolve({
        url, port: Number(new URL(url).port), child,
        stop: () => new Promise((r) => { if (child.exitCode !== null) return r(); child.once('exit', () => r()); child.kill('SIGTERM'); }),
      });
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`mlmeta ui exited ${code}: ${err}`)); });
  });
}

/** A raw request (headers exactly as given: Host included), for the checks a browser would never send. */
export function raw(url: string, opts: { method?: string; path?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: { host: u.host, ...opts.headers }, setHost: false }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => { body += b.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** console errors and page errors seen so far */
  errors: string[];
  /** dialogs (alert/confirm) any page opened */
  dialogs: string[];
  close(): Promise<void>;
}

export async function browser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is needed for the UI tests and is not at ${CHROMIUM}: install it with \`apt-get install chromium\` (as .ci/run does) or set MLMETA_CHROMIUM`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    viewport: { width: 1280, height: 900 },
  });
  const errors: string[] = [];
  const dialogs: string[] = [];
  const watch = (p: Page) => {
    p.on('console', (m) => { if (m.type() === 'error') errors.push(`${p.url()}: ${m.text()}`); });
    p.on('pageerror', (e) => errors.push(`${p.url()}: ${String(e)}`));
    p.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  };
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  return {
    context, page, errors, dialogs,
    close: async () => { await context.close(); fs.rmSync(profile, { recursive: true, force: true }); },
  };
}

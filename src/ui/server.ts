// `mlmeta ui`: a read-only site over the store, on 127.0.0.1 (node:http, no framework).
// It is a server, however local, so every request passes these checks first:
//  - Host must name this server (localhost, 127.0.0.1 or [::1] with its port, or the
//    --host given): anything else is 421 — a DNS-rebinding page sends its own host name;
//  - GET and HEAD only (405): nothing here changes the store;
//  - Sec-Fetch-Site cross-site/same-site (another site, or a page on another local port)
//    is 403, except a top-level navigation (a link someone clicked), which reads nothing
//    back into the other site;
//  - answers carry a strict CSP (no inline script or style, no framing), nosniff, no CORS.
// Paths map to a fixed set of routes (routes.ts) and asset names (assets.ts): no request
// path reaches the file system, so traversal finds nothing (404).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Store } from '../api/store.js';
import { MlmetaError } from '../errors.js';
import { asset } from './assets.js';
import { h } from './html.js';
import { parsePath, SERVER, type Query } from './routes.js';
import { CSP, pageFor, renderHtml, renderJson } from './site.js';

export interface UiOptions {
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
}

export interface UiServer {
  url: string;
  port: number;
  host: string;
  server: http.Server;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** How long one view of the index serves requests before the store is looked at again. */
const FRESH_MS = 1000;

export function startUi(store: Store, opts: UiOptions = {}): Promise<UiServer> {
  const host = opts.host ?? '127.0.0.1';
  // A wildcard bind answers on every address, but Host checks need the one people will type:
  // ask for it rather than serve a site that answers 421 to everybody.
  if (host === '0.0.0.0' || host === '::' || host === '[::]') {
    return Promise.reject(new MlmetaError('E_USAGE', `--host ${host} binds every address: give the one interface address to serve on (e.g. this machine's LAN address)`));
  }
  let view = { store, at: 0 };
  // A new Store per second: its graph re-reads what changed on disk (new records, a pull).
  const current = () => {
    const now = Date.now();
    if (now - view.at > FRESH_MS) view = { store: new Store(store.layout, { cwd: store.cwd, env: store.env }), at: now };
    return view.store;
  };
  let allowedHosts = new Set<string>();
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      const buf = typeof body === 'string' ? Buffer.from(body) : body;
      res.writeHead(status, { ...HEADERS, 'Content-Type': type, 'Content-Length': String(buf.length), ...extra });
      res.end(req.method === 'HEAD' ? undefined : buf);
    };
    const text = (status: number, msg: string, extra: Record<string, string> = {}) => send(status, 'text/plain; charset=utf-8', `${msg}\n`, extra);
    if (!allowedHosts.has(String(req.headers.host ?? '').toLowerCase())) return text(421, 'Misdirected request: this server answers only to its own address.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'Method not allowed: this site is read-only.', { Allow: 'GET, HEAD' });
    const site = req.headers['sec-fetch-site'];
    const navigation = req.headers['sec-fetch-mode'] === 'navigate' && req.headers['sec-fetch-dest'] === 'document';
    if ((site === 'cross-site' || site === 'same-site') && !navigation) return text(403, 'Forbidden: cross-site request.');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://ui.invalid');
    } catch {
      return text(404, 'Not found.');
    }
    // Browsers ask for it on pages that name no icon (a JSON twin opened in a tab): an empty
    // answer, not a 404 that shows as a console error.
    if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
    if (url.pathname.startsWith('/assets/')) {
      const a = asset(url.pathname.slice('/assets/'.length));
      return a ? send(200, a.type, a.body, { 'Cache-Control': 'no-cache' }) : text(404, 'Not found.');
    }
    const parsed = parsePath(url.pathname);
    if (!parsed) return text(404, 'Not found.');
    const query: Query = {};
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v.slice(0, 2000);
    const started = process.hrtime.bigint();
    try {
      const page = pageFor(current(), parsed.route, query);
      const timing = { 'Server-Timing': `page;dur=${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)}` };
      if (parsed.json) return send(page.status ?? 200, 'application/json; charset=utf-8', renderJson(page), timing);
      const html = renderHtml(SERVER, page, parsed.route, query);
      return send(page.status ?? 200, 'text/html; charset=utf-8', html, { 'Server-Timing': `page;dur=${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)}` });
    } catch (e) {
      const msg = e instanceof MlmetaError ? `error[${e.code}]: ${e.message}` : 'error[E_INTERNAL]: the page could not be made (run with MLMETA_DEBUG=1 for details)';
      if (process.env.MLMETA_DEBUG === '1') process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
      if (parsed.json) return send(500, 'application/json; charset=utf-8', `${JSON.stringify({ error: msg })}\n`);
      return send(500, 'text/html; charset=utf-8', `<!doctype html>${h`<title>Error</title><p>${msg}</p>`}`);
    }
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new MlmetaError('E_IO', `cannot listen on ${host}:${opts.port ?? 0}: ${e.code ?? e.message}`, { errno: e.code })));
    server.listen(opts.port ?? 0, host, () => {
      const port = (server.address() as AddressInfo).port;
      allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
      if (!isLoopback(host)) allowedHosts.add(`${host.includes(':') ? `[${host}]` : host}:${port}`.toLowerCase());
      const shown = host === '::1' ? '[::1]' : host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${port}/`, port, host, server,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

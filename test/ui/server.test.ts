// `mlmeta ui` as a server, seen from raw HTTP: who may talk to it (Host, methods,
// fetch metadata), what it sends (CSP, nosniff, no CORS), and what it never serves
// (paths outside its routes). Requests a browser would never make are made by hand.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { snapshot, tempDir } from '../helpers/dirs.js';
import { raw, serve, type Served } from './harness.js';

let demo: string;
let srv: Served;
let objectsBefore: Map<string, string>;

beforeAll(async () => {
  const root = tempDir('mlmeta-ui-srv-');
  demo = path.join(root, 'demo');
  ok(root, ['demo', demo]);
  ok(demo, ['record', 'model', '--name', '</script><script>x=1</script>', '--metric', 'auc=1']);
  objectsBefore = snapshot(path.join(demo, '.mlmeta', 'objects'));
  srv = await serve(demo);
}, 60_000);

afterAll(async () => {
  await srv?.stop();
});

describe('mlmeta ui: the server', () => {
  it('listens on 127.0.0.1 and answers with a strict policy, nosniff and no CORS', async () => {
    expect(new URL(srv.url).hostname).toBe('127.0.0.1');
    const r = await raw(srv.url);
    expect(r.status).toBe(200);
    expect(r.headers['content-security-policy']).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(r.body).not.toMatch(/<script>|<style|style="| on[a-z]+=/i);
    const j = await raw(srv.url, { path: '/index.json' });
    expect(j.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(j.body).toContain('\\u003c/script\\u003e\\u003cscript\\u003e');
    expect(JSON.parse(j.body).models.rows.map((m: { name: string }) => m.name)).toContain('</script><script>x=1</script>');
    const head = await raw(srv.url, { method: 'HEAD' });
    expect([head.status, head.body]).toEqual([200, '']);
  });

  it('answers only to its own address: a forged Host (DNS rebinding) gets 421', async () => {
    for (const host of ['evil.example', `evil.example:${srv.port}`, '127.0.0.1', `127.0.0.1:${srv.port + 1}`, `localhost.evil.example:${srv.port}`]) {
      const r = await raw(srv.url, { headers: { host } });
      expect(r.status, host).toBe(421);
      expect(r.body).not.toContain('churn-model');
    }
    for (const host of [`localhost:${srv.port}`, `[::1]:${srv.port}`, `LOCALHOST:${srv.port}`]) expect((await raw(srv.url, { headers: { host } })).status, host).toBe(200);
  });

  it('is read-only: methods other than GET and HEAD get 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await raw(srv.url, { method, path: '/index.json' });
      expect(r.status, method).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
    }
  });

  it('refuses cross-site requests (Sec-Fetch-Site), but a link followed from elsewhere still opens', async () => {
    const fetchFrom = (site: string, mode: string, dest: string) => raw(srv.url, { path: '/index.json', headers: { 'sec-fetch-site': site, 'sec-fetch-mode': mode, 'sec-fetch-dest': dest } });
    expect((await fetchFrom('cross-site', 'cors', 'empty')).status).toBe(403);
    expect((await fetchFrom('cross-site', 'no-cors', 'script')).status).toBe(403);
    // a page on another 127.0.0.1 port is same-site, not same-origin
    expect((await fetchFrom('same-site', 'cors', 'empty')).status).toBe(403);
    expect((await fetchFrom('cross-site', 'navigate', 'iframe')).status).toBe(403);
    expect((await fetchFrom('same-origin', 'cors', 'empty')).status).toBe(200);
    expect((await fetchFrom('none', 'navigate', 'document')).status).toBe(200);
    expect((await fetchFrom('cross-site', 'navigate', 'document')).status).toBe(200);
  });

  it('serves nothing outside its routes: traversal and unknown paths are 404', async () => {
    for (const p of ['/assets/../package.json', '/assets/..%2F..%2Fpackage.json', '/assets/%2e%2e/%2e%2e/package.json', '/assets/', '/assets/ui.css/..',
      '/record/../../../etc/passwd', '/record/..%2F..%2Fetc%2Fpasswd', '/model/..%2F..%2F.mlmeta', '/dataset/%ZZ', '//etc/passwd',
      '/.mlmeta/config.yaml', '/record/' + '0'.repeat(64), '/record/abc', '/diff/x/y', '/model/a/b', '/search/x']) {
      const r = await raw(srv.url, { path: p });
      expect(r.status, p).toBe(404);
      expect(r.body).not.toMatch(/format: 1|root:|"name"/);
    }
    expect((await raw(srv.url, { path: '/assets/uPlot.iife.min.js' })).status).toBe(200);
  });

  it('never writes to the store', async () => {
    for (const p of ['/', '/model/churn-model', '/dataset/data', '/search?q=kind%20%3D%20model']) expect((await raw(srv.url, { path: p })).status).toBe(200);
    expect(snapshot(path.join(demo, '.mlmeta', 'objects'))).toEqual(objectsBefore);
  });

  it('refuses to export into a folder that is not empty, and leaves it as it was', () => {
    const dir = tempDir('mlmeta-ui-exp-');
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    const before = snapshot(dir);
    const r = mlmeta(demo, ['ui', '--export', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_BAD_INPUT\]: .* is not empty/);
    expect(snapshot(dir)).toEqual(before);
    const wild = mlmeta(demo, ['ui', '--host', '0.0.0.0', '--port', '0']);
    expect([wild.code, wild.stderr.trim().split('\n').pop()]).toEqual([2, "error[E_USAGE]: --host 0.0.0.0 binds every address: give the one interface address to serve on (e.g. this machine's LAN address)"]);
    expect(wild.stdout).not.toContain('http://');
    const bad = mlmeta(demo, ['ui', '--port', '70000']);
    expect([bad.code, bad.stderr.trim()]).toEqual([2, 'error[E_USAGE]: --port must be at most 65535']);
  });
});

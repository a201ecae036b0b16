// `mlmeta ui --export DIR`: the same pages as static files (a CI artifact, GitHub Pages):
// home, every model and dataset line, every record, each version's diff with the one
// before it, the JSON twins and the assets. Links are relative, so the folder opens from
// file:// or any static host. What needs a server (search, sorting, paging past the first
// EXPORT_PAGE_SIZE rows, other lineage depths) is left out of the export's pages.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../api/store.js';
import { MlmetaError, ioError } from '../errors.js';
import { ASSET_NAMES, asset } from './assets.js';
import { CSP, pageFor, renderHtml, renderJson } from './site.js';
import { fileOf, type Ctx, type Route } from './routes.js';

/** Marks a folder as an export, so a later export may replace it (any other non-empty folder is refused). */
const MARKER = '.mlmeta-ui-export';

export interface ExportResult {
  dir: string;
  pages: number;
  files: number;
}

function routesOf(store: Store): Route[] {
  const g = store.graph();
  const rows = g.query((q) => q("SELECT id, kind, name FROM records WHERE kind NOT IN ('manifest', 'series') ORDER BY kind, name, version, id").all()) as Array<{ id: string; kind: string; name: string | null }>;
  const routes: Route[] = [{ page: 'home' }];
  const lines = new Set<string>();
  for (const r of rows) {
    routes.push({ page: 'record', id: r.id });
    if ((r.kind === 'model' || r.kind === 'dataset') && r.name !== null && !lines.has(`${r.kind}\u0000${r.name}`)) {
      lines.add(`${r.kind}\u0000${r.name}`);
      routes.push({ page: r.kind, name: r.name });
    }
  }
  const prev = g.query((q) => q("SELECT e.parent, e.child FROM edges e JOIN records c ON c.id = e.child JOIN records p ON p.id = e.parent WHERE e.role = 'previous' AND c.kind != 'alias'").raw().all()) as Array<[string, string]>;
  for (const [from, to] of prev) routes.push({ page: 'diff', from, to });
  return routes;
}

export function exportSite(store: Store, dir: string): ExportResult {
  const out = path.resolve(dir);
  try {
    if (fs.existsSync(out)) {
      const entries = fs.readdirSync(out);
      if (entries.length && !entries.includes(MARKER)) throw new MlmetaError('E_BAD_INPUT', `${out} is not empty and holds no earlier export; name an empty or new folder`);
      for (const e of entries) fs.rmSync(path.join(out, e), { recursive: true, force: true });
    }
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, MARKER), 'made by mlmeta ui --export; a later export replaces this folder\n');
    let files = 1;
    const write = (rel: string, body: string | Buffer) => {
      const f = path.join(out, rel);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, body);
      files++;
    };
    for (const name of ASSET_NAMES) write(`assets/${name}`, asset(name)!.body);
    const routes = routesOf(store);
    for (const route of routes) {
      const page = pageFor(store, route, {}, true);
      const ctx: Ctx = { mode: 'export', up: route.page === 'home' ? '' : '../' };
      // file:// pages get their policy from a meta tag (no headers); frame-ancestors is header-only.
      const html = renderHtml(ctx, page, route, {}).replace('<meta charset="utf-8">', `<meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${CSP.replace("; frame-ancestors 'none'", '')}">`);
      write(fileOf(route), html);
      write(fileOf(route, 'json'), renderJson(page));
    }
    return { dir: out, pages: routes.length, files };
  } catch (e) {
    if (e instanceof MlmetaError) throw e;
    throw ioError(e, `cannot write the export to ${out}`);
  }
}

// The page frame and the small widgets every page shares: links to records, sortable
// column heads, pagers. No inline script or style anywhere (the CSP forbids both).
import type { Store } from '../api/store.js';
import { h, type Html } from './html.js';
import { assetHref, href, jsonHref, type Ctx, type Query, type Route } from './routes.js';

export interface Page {
  /** HTTP status (pages of things that do not exist are 404 with a readable page) */
  status?: number;
  title: string;
  /** the JSON twin: what the page shows, as data */
  json: unknown;
  body: (ctx: Ctx) => Html;
  /** the page draws charts: load uPlot */
  charts?: boolean;
}

export interface PageInput {
  store: Store;
  route: Route;
  query: Query;
  /** rows per page: the server pages; the static export shows a longer first page */
  pageSize: number;
  /** the export has no search or query pages */
  exporting: boolean;
}

export function layout(ctx: Ctx, page: Page, route: Route, query: Query): string {
  const json = jsonHref(ctx, route, query);
  const home = href(ctx, { page: 'home' })!;
  const search = ctx.mode === 'server'
    ? h`<form class="search" role="search" method="get" action="/search"><label for="q" class="vh">Find records</label><input id="q" name="q" type="search" placeholder="find: metrics.auc > 0.8 and params.lr < 0.1" value="${query.q ?? ''}" autocomplete="off"><button type="submit">Find</button></form>`
    : '';
  return `<!doctype html>\n${h`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>${page.title} · mlmeta</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${assetHref(ctx, 'ui.css')}">${page.charts ? h`<link rel="stylesheet" href="${assetHref(ctx, 'uPlot.min.css')}"><script src="${assetHref(ctx, 'uPlot.iife.min.js')}" defer></script>` : ''}<script src="${assetHref(ctx, 'ui.js')}" defer></script></head><body><a class="skip" href="#main">Skip to content</a><header><a class="brand" href="${home}">mlmeta</a>${search}</header><main id="main">${page.body(ctx)}</main><footer>${json ? h`<a href="${json}" rel="alternate" type="application/json">This page as JSON</a> · ` : ''}read-only view of the store${ctx.mode === 'export' ? ' (static export)' : ''}</footer></body></html>`}`;
}

/** A link to a route, or the plain text when the export has no such page. */
export function link(ctx: Ctx, r: Route, text: unknown, q: Query = {}, cls = ''): Html {
  const to = href(ctx, r, q);
  return to ? h`<a href="${to}"${cls ? h` class="${cls}"` : ''}>${text}</a>` : h`<span${cls ? h` class="${cls}"` : ''}>${text}</span>`;
}

export function recordLabel(r: { kind?: string; name?: string | null; version?: number | null; id: string }): string {
  if (r.name === undefined || r.name === null) return `${r.kind ?? 'record'} ${r.id.slice(0, 12)}`;
  return r.version ? `${r.name}@${r.version}` : r.name;
}

export function recordLink(ctx: Ctx, r: { kind?: string; name?: string | null; version?: number | null; id: string }): Html {
  if (r.kind === undefined) return h`<span class="missing" title="not in this store">missing ${r.id.slice(0, 12)}…</span>`;
  return link(ctx, { page: 'record', id: r.id }, recordLabel(r));
}

/** A column head that sorts the table (server side) when clicked; the current order marked for screen readers too. */
export function sortHead(ctx: Ctx, route: Route, query: Query, key: string, text: string, current: { sort: string; desc: boolean }): Html {
  const active = current.sort === key;
  const desc = active ? !current.desc : true;
  const to = href(ctx, route, { ...query, sort: key, order: desc ? 'desc' : 'asc', page: '' });
  const aria = active ? (current.desc ? 'descending' : 'ascending') : 'none';
  const mark = active ? (current.desc ? ' ▾' : ' ▴') : '';
  return h`<th scope="col" aria-sort="${aria}">${to ? h`<a href="${to}">${text}${mark}</a>` : h`${text}${mark}`}</th>`;
}

export function pager(ctx: Ctx, route: Route, query: Query, page: number, size: number, total: number, param = 'page'): Html {
  const pages = Math.max(1, Math.ceil(total / size));
  if (pages <= 1) return h``;
  const at = (p: number, text: string, rel: string) => {
    const to = href(ctx, route, { ...query, [param]: p === 1 ? '' : String(p) });
    return to ? h`<a href="${to}" rel="${rel}">${text}</a>` : h``;
  };
  const first = (page - 1) * size + 1;
  const note = ctx.mode === 'export' ? h` — the static export holds the first ${size}; run <code>mlmeta ui</code> for the rest` : h``;
  return h`<nav class="pager" aria-label="pages"><span class="range">${first}–${Math.min(total, page * size)} of ${total}</span>${page > 1 ? at(page - 1, '‹ previous', 'prev') : ''}${page < pages ? at(page + 1, 'next ›', 'next') : ''}${note}</nav>`;
}

/** A positive page number from the query (1 when absent or not a small whole number). */
export function pageParam(q: Query, param = 'page'): number {
  const v = q[param];
  return v !== undefined && /^[1-9]\d{0,6}$/.test(v) ? Number(v) : 1;
}

export function notFound(what: string): Page {
  return { status: 404, title: 'Not found', json: { error: 'E_NOT_FOUND', message: what }, body: () => h`<h1>Not found</h1><p>${what}</p>` };
}

export function kindBadge(kind: string): Html {
  return h`<span class="badge k-${kind.replace(/[^a-z0-9-]/g, '')}">${kind}</span>`;
}

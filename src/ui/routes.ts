// The site's addresses, one scheme for the server and the static export:
//   /                      home              (export: index.html)
//   /model/NAME            a model line      (export: model/NAME.html)
//   /dataset/NAME          a dataset line    (export: dataset/NAME.html)
//   /record/ID             one record        (export: record/ID.html)
//   /diff/ID/ID            two records       (export: diff/ID_ID.html)
//   /search?q=EXPR         find              (server only)
//   /compare?from=REF&to=REF  a diff by refs (server only)
//   /assets/FILE           CSS, JS, uPlot
// Every page has a JSON twin: the same path with `.json` (`/index.json` for home).
// Names are one path segment: percent-encoded, with '.' encoded too so a name ending in
// ".json" cannot read as a twin. The export turns '%' into '~' so file names hold no '%'
// (a file:// URL would decode it back into a '/').
import { ID_RE, checkName } from '../records/record.js';
import { sha256Hex } from '../store/objects.js';

export type Route =
  | { page: 'home' }
  | { page: 'model'; name: string }
  | { page: 'dataset'; name: string }
  | { page: 'record'; id: string }
  | { page: 'diff'; from: string; to: string }
  | { page: 'search' }
  /** two refs (NAME@N, ids, aliases) from the compare form: the diff page (server only) */
  | { page: 'compare' };

export type Query = Record<string, string>;

/** How pages link: to server paths, or to files of a static export (relative, `.html`). */
export interface Ctx {
  mode: 'server' | 'export';
  /** export: how deep the current file is ('' at the top, '../' one folder down) */
  up: string;
}

export const SERVER: Ctx = { mode: 'server', up: '' };

function seg(name: string): string {
  return encodeURIComponent(name).replace(/\./g, '%2E').replace(/~/g, '%7E');
}

export function pathOf(r: Route): string {
  switch (r.page) {
    case 'home': return '/';
    case 'model': return `/model/${seg(r.name)}`;
    case 'dataset': return `/dataset/${seg(r.name)}`;
    case 'record': return `/record/${r.id}`;
    case 'diff': return `/diff/${r.from}/${r.to}`;
    case 'search': return '/search';
    case 'compare': return '/compare';
  }
}

/** The export's file for a route (relative to the export folder). */
export function fileOf(r: Route, ext: 'html' | 'json' = 'html'): string {
  if (r.page === 'home') return `index.${ext}`;
  if (r.page === 'diff') return `diff/${r.from}_${r.to}.${ext}`;
  const [folder, name] = pathOf(r).slice(1).replace(/%/g, '~').split('/') as [string, string];
  // A long name (up to 200 characters, three times that encoded) would pass the file system's 255-byte limit.
  return `${folder}/${name.length > 200 ? `~${sha256Hex(name).slice(0, 40)}` : name}.${ext}`;
}

/** A link to a route; undefined when the export has no such page (queries need the server). */
export function href(ctx: Ctx, r: Route, q: Query = {}): string | undefined {
  const entries = Object.entries(q).filter(([, v]) => v !== '');
  if (ctx.mode === 'export') {
    if (entries.length || r.page === 'search' || r.page === 'compare') return undefined;
    return ctx.up + fileOf(r);
  }
  const qs = entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
  return pathOf(r) + qs;
}

export function assetHref(ctx: Ctx, file: string): string {
  return ctx.mode === 'export' ? `${ctx.up}assets/${file}` : `/assets/${file}`;
}

export function jsonHref(ctx: Ctx, r: Route, q: Query = {}): string | undefined {
  if (ctx.mode === 'export') return r.page === 'search' || r.page === 'compare' ? undefined : ctx.up + fileOf(r, 'json');
  const p = r.page === 'home' ? '/index' : pathOf(r);
  const entries = Object.entries(q).filter(([, v]) => v !== '');
  return `${p}.json${entries.length ? `?${new URLSearchParams(entries).toString()}` : ''}`;
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function validName(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  try {
    checkName(s);
    return s;
  } catch {
    return undefined;
  }
}

/** A request path → route and whether the JSON twin was asked for; undefined → 404. */
export function parsePath(rawPath: string): { route: Route; json: boolean } | undefined {
  let p = rawPath;
  let json = false;
  if (p.endsWith('.json')) {
    json = true;
    p = p.slice(0, -5);
    if (p === '/index' || p === '/') return { route: { page: 'home' }, json };
  }
  if (p === '/') return { route: { page: 'home' }, json };
  // Split before decoding: an encoded '/' stays inside its segment.
  const parts = p.split('/');
  if (parts[0] !== '') return undefined;
  const [, kind, a, b, ...rest] = parts;
  if (rest.length) return undefined;
  if ((kind === 'search' || kind === 'compare') && a === undefined) return { route: { page: kind }, json };
  if (b === undefined && a !== undefined && (kind === 'model' || kind === 'dataset')) {
    const name = validName(decode(a));
    return name === undefined ? undefined : { route: { page: kind, name }, json };
  }
  if (kind === 'record' && a !== undefined && b === undefined && ID_RE.test(a)) return { route: { page: 'record', id: a }, json };
  if (kind === 'diff' && a !== undefined && b !== undefined && ID_RE.test(a) && ID_RE.test(b)) return { route: { page: 'diff', from: a, to: b }, json };
  return undefined;
}

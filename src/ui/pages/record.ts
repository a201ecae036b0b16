// One record: every field, parents and children by name@version, the lineage graph around
// it (depth control, clusters, click to navigate), the broken-link warning for a model with
// no data among its ancestors, and its metric curves (the `history:` field).
import { MlmetaError } from '../../errors.js';
import { historyOf, pointsOf } from '../../records/history.js';
import { cut, fmtTime, h, safeUrl, type Html } from '../html.js';
import { kindBadge, link, notFound, pageParam, pager, recordLabel, recordLink, type Page, type PageInput } from '../layout.js';
import { lineageGraph, lineageSvg, MAX_DEPTH } from '../lineage-svg.js';
import { childrenOf, hasDataAncestor, parentsOf } from '../queries.js';
import type { Ctx, Route } from '../routes.js';
import { chartsBlock } from './model.js';

const MAX_PARENTS = 200;
const CHILDREN_PAGE = 50;
const MAX_CURVES = 6;
const MAX_CURVE_POINTS = 2000;
/** Nesting shown before a value is summarised (the JSON twin has all of it). */
const MAX_NESTING = 8;
const MAX_ITEMS = 100;

function valueHtml(v: unknown, depth = 0): Html {
  if (v === null || v === undefined) return h`<span class="null">null</span>`;
  if (typeof v === 'string') {
    const url = safeUrl(v);
    if (url) return h`<a href="${url}" rel="noreferrer noopener">${cut(v)}</a>`;
    return v.includes('\n') ? h`<pre>${cut(v, 4000)}</pre>` : h`<span class="str">${cut(v, 500)}</span>`;
  }
  if (typeof v !== 'object') return h`<span class="${typeof v}">${String(v)}</span>`;
  if (depth >= MAX_NESTING) return h`<span class="note">… (nested deeper; see the JSON)</span>`;
  if (Array.isArray(v)) {
    const more = v.length > MAX_ITEMS ? h`<li class="note">… ${v.length - MAX_ITEMS} more (see the JSON)</li>` : '';
    return h`<ol class="list">${v.slice(0, MAX_ITEMS).map((x) => h`<li>${valueHtml(x, depth + 1)}</li>`)}${more}</ol>`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  const more = entries.length > MAX_ITEMS ? h`<dt class="note">…</dt><dd class="note">${entries.length - MAX_ITEMS} more (see the JSON)</dd>` : '';
  return h`<dl class="fields">${entries.slice(0, MAX_ITEMS).map(([k, x]) => h`<dt>${k}</dt><dd>${valueHtml(x, depth + 1)}</dd>`)}${more}</dl>`;
}

/** The JSON twin's copy of a record: lists past 1,000 items and text past 100,000 characters are cut (`mlmeta cat` has every byte). */
const JSON_ITEMS = 1000;
const JSON_CHARS = 100_000;
function capped(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length > JSON_CHARS ? `${v.slice(0, JSON_CHARS)}… (${v.length - JSON_CHARS} more characters; see mlmeta cat)` : v;
  if (v === null || typeof v !== 'object' || depth > 32) return v;
  if (Array.isArray(v)) {
    const items = v.slice(0, JSON_ITEMS).map((x) => capped(x, depth + 1));
    return v.length > JSON_ITEMS ? [...items, `… ${v.length - JSON_ITEMS} more items; see mlmeta cat`] : items;
  }
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, capped(x, depth + 1)]));
}

function depthParam(q: Record<string, string>): number {
  const d = Number(q.depth);
  return /^[1-9]$/.test(q.depth ?? '') && d <= MAX_DEPTH ? d : 2;
}

export function recordPage(input: PageInput): Page {
  const { store, query } = input;
  const route = input.route as Extract<Route, { page: 'record' }>;
  const id = route.id;
  let record;
  try {
    record = store.read(id);
  } catch (e) {
    if (e instanceof MlmetaError && e.code === 'E_NOT_FOUND') return notFound(`There is no record ${id} in this store.`);
    if (e instanceof MlmetaError) return { status: 422, title: 'Not a valid record', json: { error: e.code, message: e.message }, body: () => h`<h1>Not a valid record</h1><p class="warn">${e.message}</p>` };
    throw e;
  }
  const g = store.graph();
  const depth = depthParam(query);
  const parents = parentsOf(g, id, MAX_PARENTS);
  const cPage = pageParam(query, 'cpage');
  const children = childrenOf(g, id, input.exporting ? input.pageSize : CHILDREN_PAGE, (cPage - 1) * CHILDREN_PAGE);
  const lineage = lineageGraph(g, id, depth);
  const warnings: string[] = [];
  if (record.kind === 'model' && !hasDataAncestor(g, id)) warnings.push('No data lineage: no dataset is among this model\'s ancestors, so what it was trained on is not recorded. Record the data with `mlmeta run --input DIR` or `mlmeta record model --data DIR`.');
  if (record.code?.dirty) warnings.push('Made from a dirty work tree: the code commit does not hold all of the code that ran.');
  for (const p of parents.rows) if (p.kind === undefined) warnings.push(`Parent ${p.role} ${p.id} is not in this store (pull it, or it was never pushed).`);
  const history = historyOf(record);
  const curves = Object.entries(history).slice(0, MAX_CURVES).flatMap(([metric, entry]) => {
    try {
      let pts = pointsOf(entry, metric, (sid) => store.read(sid));
      const total = pts.length;
      if (total > MAX_CURVE_POINTS) {
        const k = Math.ceil(total / MAX_CURVE_POINTS);
        pts = pts.filter((_, i) => i % k === 0 || i === total - 1);
      }
      return [{ metric, x: pts.map((p) => p.step), y: pts.map((p) => (Number.isFinite(p.value) ? p.value : null)) as number[], total }];
    } catch (e) {
      if (!(e instanceof MlmetaError)) throw e;
      warnings.push(`The curve of ${metric} cannot be read: ${e.message}`);
      return [];
    }
  });
  const label = record.kind === 'alias' ? `${record.name}@${String(record.alias)}` : recordLabel({ ...record, id });
  const previous = parents.rows.filter((p) => p.role === 'previous' && p.kind !== undefined);
  const { history: _h, ...fields } = record;
  const json = {
    id, label, record: capped(record), warnings,
    parents: parents.rows, parentCount: parents.total,
    children: { total: children.total, page: cPage, rows: children.rows },
    lineage: { depth, nodes: lineage.nodes, edges: lineage.edges },
  };
  const body = (ctx: Ctx) => {
    const depthLinks = [1, 2, 3, 4].map((d) => (d === depth ? h` <strong aria-current="true" class="depth">${d}</strong>` : h` ${link(ctx, route, String(d), { ...query, depth: d === 2 ? '' : String(d) }, 'depth')}`));
    return h`
<h1>${kindBadge(record.kind)} ${label}</h1>
<p class="lede"><code class="id">${id}</code> · ${fmtTime(record.created)}${record.author ? h` · ${record.author}` : ''}${record.name !== undefined && (record.kind === 'model' || record.kind === 'dataset') ? h` · ${link(ctx, { page: record.kind === 'dataset' ? 'dataset' : 'model', name: record.name }, `all versions of ${record.name}`)}` : ''}${previous.slice(0, 1).map((p) => h` · ${link(ctx, { page: 'diff', from: p.id, to: id }, `compare with ${recordLabel(p)}`, {}, 'cmp')}`)}</p>
${record.message ? h`<p class="message">${cut(String(record.message), 2000)}</p>` : ''}
${warnings.map((w) => h`<p class="warn" role="alert">${w}</p>`)}
<section aria-labelledby="lineage-h"><h2 id="lineage-h">Lineage</h2>
<p class="tools">Steps out: ${ctx.mode === 'server' ? depthLinks : String(depth)} · arrows point from what was used to what was made; click a node to open it.</p>
<div class="graph">${lineageSvg(ctx, lineage, `Lineage of ${label}`)}</div></section>
${curves.length ? h`<section aria-labelledby="curves-h"><h2 id="curves-h">Metric curves</h2>${chartsBlock(ctx, curves, 'step')}</section>` : ''}
<div class="cols">
<section aria-labelledby="parents-h" id="parents"><h2 id="parents-h">Made from <span class="count">${parents.total}</span></h2>${parents.rows.length ? h`<ul class="rel">${parents.rows.map((p) => h`<li><span class="role">${p.role}</span> ${p.kind ? kindBadge(p.kind) : ''} ${recordLink(ctx, p)}</li>`)}</ul>` : h`<p class="empty">No parents.</p>`}${parents.total > parents.rows.length ? h`<p class="note">First ${parents.rows.length} of ${parents.total}; the JSON twin lists the same.</p>` : ''}</section>
<section aria-labelledby="children-h" id="children"><h2 id="children-h">Used by <span class="count">${children.total}</span></h2>${children.rows.length ? h`<ul class="rel">${children.rows.map((c) => h`<li><span class="role">${c.role}</span> ${c.kind ? kindBadge(c.kind) : ''} ${recordLink(ctx, c)}</li>`)}</ul>` : h`<p class="empty">Nothing recorded uses this yet.</p>`}${pager(ctx, route, query, cPage, CHILDREN_PAGE, children.total, 'cpage')}</section>
</div>
<section aria-labelledby="fields-h"><h2 id="fields-h">Fields</h2>${valueHtml(fields)}${Object.keys(history).length ? h`<h3>history</h3>${valueHtml(Object.fromEntries(Object.entries(history).map(([k, e]) => [k, { count: e.count, min: e.min, max: e.max, last: e.last, steps: `${e.first_step}–${e.last_step}`, ...(e.series ? { series: e.series } : {}) }])))}` : ''}</section>`;
  };
  return { title: label, json, body, charts: curves.length > 0 };
}

// Search: the `find` expression language (src/graph/query.ts), answered by the same SQL as
// `mlmeta find` (src/graph/find.ts), one page at a time.
import { MlmetaError } from '../../errors.js';
import { findIds } from '../../graph/find.js';
import { parseWhere, type Expr } from '../../graph/query.js';
import { fmtNumber, fmtTime, h } from '../html.js';
import { kindBadge, link, pageParam, recordLink, type Page, type PageInput } from '../layout.js';
import type { Ctx } from '../routes.js';

const PAGE = 50;

export function searchPage(input: PageInput): Page {
  const q = (input.query.q ?? '').trim();
  const kind = input.query.kind && /^[a-z][a-z0-9-]{0,63}$/.test(input.query.kind) ? input.query.kind : undefined;
  const page = pageParam(input.query);
  let where: Expr[] = [];
  let error: string | undefined;
  try {
    if (q) where = [parseWhere(q)];
  } catch (e) {
    if (!(e instanceof MlmetaError)) throw e;
    error = e.message.replace('--where expression', 'expression');
  }
  const g = input.store.graph();
  const hits = error ? [] : findIds(g, { kind, where, limit: PAGE + 1, offset: (page - 1) * PAGE });
  const more = hits.length > PAGE;
  const rows = hits.slice(0, PAGE).map(({ id, record }) => ({ id, kind: record.kind, name: record.name ?? null, version: record.version ?? null, created: record.created, metrics: record.metrics ?? {} }));
  const json = { q, kind: kind ?? null, page, rows, more, ...(error ? { error } : {}) };
  const body = (ctx: Ctx) => h`
<h1>Find</h1>
<p class="lede">Fields compare with <code>= != &lt; &lt;= &gt; &gt;= ~</code>, joined with <code>and</code>, <code>or</code>, <code>not</code> and parentheses — the same as <code>mlmeta find --where</code>. Examples: <code>kind = model and metrics.auc &gt; 0.8</code>, <code>params.lr &lt; 0.1</code>, <code>name ~ churn</code>.</p>
${error ? h`<p class="warn" role="alert">${error}</p>` : ''}
${!error ? h`<table class="grid" id="results"><thead><tr><th scope="col">Record</th><th scope="col">Kind</th><th scope="col">Metrics</th><th scope="col">Created</th></tr></thead><tbody>
${rows.map((r) => h`<tr><th scope="row">${recordLink(ctx, r)}</th><td>${kindBadge(r.kind)}</td><td>${Object.entries(r.metrics).filter(([, v]) => typeof v === 'number').slice(0, 4).map(([k, v]) => h`<span class="mkey">${k}</span> ${fmtNumber(v)} `)}</td><td>${fmtTime(r.created)}</td></tr>`)}
</tbody></table>${rows.length === 0 ? h`<p class="empty">No records match.</p>` : ''}<nav class="pager" aria-label="pages">${page > 1 ? link(ctx, { page: 'search' }, '‹ previous', { ...input.query, page: page === 2 ? '' : String(page - 1) }) : ''} ${more ? link(ctx, { page: 'search' }, 'next ›', { ...input.query, page: String(page + 1) }) : ''}</nav>` : ''}`;
  return { status: error ? 400 : 200, title: q ? `Find: ${q}` : 'Find', json, body };
}

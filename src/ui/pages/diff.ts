// Two records side by side: the same DiffResult as `mlmeta diff A B` (src/api/diff.ts),
// as tables — params, metrics with Δ, data versions and their changed files, code, environment,
// artifacts, other parents.
import type { DiffResult } from '../../api/diff.js';
import { MlmetaError } from '../../errors.js';
import { fmtNumber, h, type Html } from '../html.js';
import { link, recordLink, type Page, type PageInput } from '../layout.js';
import type { Ctx } from '../routes.js';

const MAX_FILES = 200;

const show = (v: unknown): string => (v === undefined ? '' : typeof v === 'number' ? fmtNumber(v) : typeof v === 'string' ? v : JSON.stringify(v));

function rows(items: Array<{ key: string; from?: unknown; to?: unknown; delta?: number; mark: string }>): Html {
  return h`${items.map((c) => h`<tr class="${c.mark}"><th scope="row">${c.key}</th><td>${show(c.from)}</td><td>${show(c.to)}</td><td class="num">${c.delta !== undefined ? `${c.delta >= 0 ? '+' : ''}${fmtNumber(c.delta)}` : ''}</td></tr>`)}`;
}

function section(title: string, id: string, content: Html, d: DiffResult): Html {
  return h`<section aria-labelledby="${id}"><h2 id="${id}">${title}</h2><table class="grid diff"><thead><tr><th scope="col">Field</th><th scope="col">${d.from.label}</th><th scope="col">${d.to.label}</th><th scope="col">Δ</th></tr></thead><tbody>${content}</tbody></table></section>`;
}

function fileList(title: string, files: string[]): Html {
  if (!files.length) return h``;
  return h`<details open><summary>${title} (${files.length})</summary><ul class="files">${files.slice(0, MAX_FILES).map((f) => h`<li><code>${f}</code></li>`)}${files.length > MAX_FILES ? h`<li class="note">… ${files.length - MAX_FILES} more (see the JSON)</li>` : ''}</ul></details>`;
}

export function diffPage(input: PageInput): Page {
  // /diff/ID/ID, or the compare form's two refs (/compare?from=churn@2&to=churn@production)
  const r = input.route.page === 'diff' ? input.route : { from: input.query.from ?? '', to: input.query.to ?? '' };
  let d: DiffResult;
  try {
    if (!r.from || !r.to) throw new MlmetaError('E_USAGE', 'name two versions to compare');
    d = input.store.diff(r.from, r.to);
  } catch (e) {
    if (!(e instanceof MlmetaError)) throw e;
    const status = e.code === 'E_NOT_FOUND' ? 404 : e.code === 'E_CORRUPT_OBJECT' ? 422 : 400;
    return { status, title: 'Cannot compare', json: { error: e.code, message: e.message }, body: () => h`<h1>Cannot compare</h1><p class="warn" role="alert">${e.message}</p>` };
  }
  const g = input.store.graph();
  const parentLink = (ctx: Ctx, id: string) => recordLink(ctx, { id, ...g.describe(id) });
  const body = (ctx: Ctx) => {
    const p = d.params;
    const paramRows = [...p.changed.map((c) => ({ ...c, mark: 'changed' })), ...p.added.map((c) => ({ ...c, mark: 'added' })), ...p.removed.map((c) => ({ ...c, mark: 'removed' }))];
    const metricRows = d.metrics.map((m) => ({ ...m, mark: m.from === undefined ? 'added' : m.to === undefined ? 'removed' : 'changed' }));
    const code = d.code && (d.code.from !== d.code.to || d.code.fromDirty !== d.code.toDirty) ? d.code : undefined;
    const nothing = !paramRows.length && !metricRows.length && !d.data.length && !code && !d.env.length && !d.artifacts.length && !d.parents.added.length && !d.parents.removed.length;
    return h`
<h1>Compare ${link(ctx, { page: 'record', id: d.from.id }, d.from.label)} → ${link(ctx, { page: 'record', id: d.to.id }, d.to.label)}</h1>
<p class="lede">The same comparison as <code>mlmeta diff ${d.from.id.slice(0, 12)} ${d.to.id.slice(0, 12)}</code>.</p>
${nothing ? h`<p class="empty">No differences.</p>` : ''}
${paramRows.length ? section('Params', 'params-h', rows(paramRows), d) : ''}
${metricRows.length ? section('Metrics', 'metrics-h', rows(metricRows), d) : ''}
${d.data.length ? h`<section aria-labelledby="data-h"><h2 id="data-h">Data</h2>${d.data.map((c) => h`<div class="datachange"><p><strong>${c.name}</strong>: ${c.from ? link(ctx, { page: 'record', id: c.from.id }, `v${c.from.version ?? '?'}`) : '(none)'} → ${c.to ? link(ctx, { page: 'record', id: c.to.id }, `v${c.to.version ?? '?'}`) : '(none)'}</p>${c.files ? h`${fileList('changed', c.files.changed)}${fileList('added', c.files.added)}${fileList('removed', c.files.removed)}` : ''}</div>`)}</section>` : ''}
${code ? h`<section aria-labelledby="code-h"><h2 id="code-h">Code</h2><p><code>${code.from?.slice(0, 10) ?? '(none)'}</code>${code.fromDirty ? ' (dirty)' : ''} → <code>${code.to?.slice(0, 10) ?? '(none)'}</code>${code.toDirty ? ' (dirty)' : ''}${code.from && code.to && code.from !== code.to ? h` — see <code>git log ${code.from.slice(0, 10)}..${code.to.slice(0, 10)}</code>` : ''}</p></section>` : ''}
${d.env.length ? section('Environment', 'env-h', rows(d.env.map((c) => ({ ...c, mark: 'changed' }))), d) : ''}
${d.artifacts.length ? section('Artifacts', 'art-h', rows(d.artifacts.map((c) => ({ key: c.key, from: typeof c.from === 'string' ? c.from.slice(0, 12) : c.from, to: typeof c.to === 'string' ? c.to.slice(0, 12) : c.to, mark: 'changed' }))), d) : ''}
${d.parents.added.length || d.parents.removed.length ? h`<section aria-labelledby="par-h"><h2 id="par-h">Other parents</h2><ul class="rel">${d.parents.added.map((x) => h`<li class="added">+ <span class="role">${x.role}</span> ${parentLink(ctx, x.id)}</li>`)}${d.parents.removed.map((x) => h`<li class="removed">− <span class="role">${x.role}</span> ${parentLink(ctx, x.id)}</li>`)}</ul></section>` : ''}`;
  };
  return { title: `${d.from.label} → ${d.to.label}`, json: d, body };
}

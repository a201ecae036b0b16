// A dataset line: its versions (file counts, sizes), which files changed between a version
// and the one before it (from the index's file hashes, not the manifests' YAML), and which
// records used each version.
import { fmtBytes, fmtNumber, fmtTime, h } from '../html.js';
import { kindBadge, link, notFound, pageParam, pager, recordLink, type Page, type PageInput } from '../layout.js';
import { childrenOf, fileChanges, lineCount, manifestOf, previousOf, versionsOf } from '../queries.js';
import type { Ctx, Route } from '../routes.js';

const USERS_SHOWN = 3;
const FILES_SHOWN = 200;

export function datasetPage(input: PageInput): Page {
  const { store, query } = input;
  const route = input.route as Extract<Route, { page: 'dataset' }>;
  const g = store.graph();
  const total = lineCount(g, 'dataset', route.name);
  if (total === 0) return notFound(`There is no dataset named ${route.name}.`);
  const page = pageParam(query);
  const size = input.pageSize;
  const rows = versionsOf(g, 'dataset', route.name, 'version', query.order !== 'asc', size, (page - 1) * size);
  const previous = previousOf(g, rows.map((r) => r.id));
  const versions = rows.map((r) => {
    const s: Record<string, unknown> = g.full(r.id) ?? {};
    // The first few models, and how many records of any kind used it (all of them on its page).
    const users = childrenOf(g, r.id, USERS_SHOWN, 0, 'model');
    return {
      id: r.id, version: r.version, created: r.created, files: (s.file_count as number | undefined) ?? null, size: (s.size as number | undefined) ?? null,
      digest: typeof s.digest === 'string' ? s.digest : null, previous: previous.get(r.id)?.[0] ?? null, usedBy: { total: users.total, first: users.rows },
    };
  });
  // The change shown: version ?v=N (default: the newest on this page) against its previous version.
  const wanted = /^\d{1,9}$/.test(query.v ?? '') ? Number(query.v) : versions[0]?.version;
  const focusId = wanted === versions[0]?.version ? versions[0]?.id : g.versionOf('dataset', route.name, wanted ?? 0)[0];
  const focusPrev = focusId ? (previousOf(g, [focusId]).get(focusId)?.[0] ?? null) : null;
  const fromM = focusPrev ? manifestOf(g, focusPrev) : undefined;
  const toM = focusId ? manifestOf(g, focusId) : undefined;
  const changes = fromM && toM ? fileChanges(g, fromM, toM, FILES_SHOWN) : undefined;
  const focus = focusId ? { id: focusId, version: g.describe(focusId)?.version ?? null, previous: focusPrev, changes: changes ?? null } : null;
  const json = { name: route.name, total, page, pageSize: size, versions, changes: focus };
  const body = (ctx: Ctx) => h`
<h1><span class="kind">dataset</span> ${route.name}</h1>
<p class="lede">${total} version${total === 1 ? '' : 's'}</p>
<section aria-labelledby="versions-h"><h2 id="versions-h">Versions</h2>
<div class="scroll"><table class="grid" id="versions"><thead><tr><th scope="col">Version</th><th scope="col">Files</th><th scope="col">Size</th><th scope="col">Digest</th><th scope="col">Models that used it</th><th scope="col">Created</th><th scope="col">Changes</th></tr></thead><tbody>
${versions.map((v) => h`<tr data-id="${v.id}"><th scope="row">${link(ctx, { page: 'record', id: v.id }, `v${v.version}`)}</th><td class="num">${fmtNumber(v.files)}</td><td class="num">${fmtBytes(v.size)}</td><td><code>${v.digest?.slice(0, 12) ?? ''}</code></td><td>${v.usedBy.first.map((u) => h`${kindBadge(u.kind ?? 'missing')} ${recordLink(ctx, u)} `)}${v.usedBy.total > v.usedBy.first.length ? link(ctx, { page: 'record', id: v.id }, `${v.usedBy.total} records in all`) : ''}</td><td>${fmtTime(v.created)}</td><td>${v.previous ? link(ctx, route, 'files changed', { ...query, v: String(v.version) }) : ''}</td></tr>`)}
</tbody></table></div>${pager(ctx, route, query, page, size, total)}</section>
${focus && changes ? h`<section aria-labelledby="changes-h" id="changes"><h2 id="changes-h">Files changed in v${focus.version}</h2><p class="lede">Against ${focus.previous ? link(ctx, { page: 'record', id: focus.previous }, `v${g.describe(focus.previous)?.version ?? '?'}`) : ''}: ${changes.counts.changed} changed, ${changes.counts.added} added, ${changes.counts.removed} removed.</p>
${(['changed', 'added', 'removed'] as const).map((k) => (changes[k].length ? h`<details open><summary>${k} (${changes.counts[k]})</summary><ul class="files">${changes[k].map((f) => h`<li><code>${f}</code></li>`)}${changes.counts[k] > changes[k].length ? h`<li class="note">… ${changes.counts[k] - changes[k].length} more</li>` : ''}</ul></details>` : ''))}</section>` : ''}`;
  return { title: `dataset ${route.name}`, json, body };
}

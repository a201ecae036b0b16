// Home: models (latest version, aliases, main metric), datasets, recent runs.
import { fmtBytes, fmtNumber, fmtTime, h } from '../html.js';
import { kindBadge, link, pageParam, pager, recordLink, type Page, type PageInput } from '../layout.js';
import { currentAliases, linesOf, recentOf, type LineRow } from '../queries.js';
import type { Ctx } from '../routes.js';

/** The first numeric metric the index keeps as a fact (rows.ts keyFacts): the line's "main" metric. */
function mainMetric(facts: LineRow['facts']): { key: string; value: number } | undefined {
  for (const [k, v] of Object.entries(facts)) if (typeof v === 'number' && k !== 'files') return { key: k, value: v };
  return undefined;
}

export function homePage(input: PageInput): Page {
  const g = input.store.graph();
  const mPage = pageParam(input.query, 'mpage');
  const dPage = pageParam(input.query, 'dpage');
  const size = input.exporting ? input.pageSize : 20;
  const models = linesOf(g, 'model', size, (mPage - 1) * size);
  const datasets = linesOf(g, 'dataset', size, (dPage - 1) * size);
  const modelRows = models.rows.map((m) => {
    const aliases = [...currentAliases(g, m.name)].filter(([, t]) => t.some((x) => x !== null)).map(([alias, targets]) => {
      const versions = targets.map((t) => (t ? g.describe(t)?.version : undefined)).filter((v): v is number => v !== undefined);
      return { alias, versions };
    });
    return { name: m.name, latest: m.latest, versions: m.versions, created: m.created, id: m.id, aliases, metric: mainMetric(m.facts) ?? null };
  });
  const datasetRows = datasets.rows.map((d) => ({ name: d.name, latest: d.latest, versions: d.versions, created: d.created, id: d.id, files: d.facts.files ?? null, size: (g.full(d.id)?.size as number | undefined) ?? null }));
  const runs = recentOf(g, 'run', 10).map((r) => ({ id: r.id, name: r.name, version: r.version, created: r.created, status: r.facts.status ?? null }));
  const json = { models: { total: models.total, page: mPage, rows: modelRows }, datasets: { total: datasets.total, page: dPage, rows: datasetRows }, runs };
  // A first pointer for someone new: the model an alias (production first) points to.
  const pointed = modelRows.flatMap((m) => m.aliases.map((a) => ({ model: m, ...a }))).sort((a, b) => Number(b.alias === 'production') - Number(a.alias === 'production'))[0];
  const pointedId = pointed ? currentAliases(g, pointed.model.name).get(pointed.alias)?.find((t) => t !== null) ?? undefined : undefined;
  const body = (ctx: Ctx) => h`
<h1>Models and data</h1>
<p class="lede">Open a model for its versions, metric charts and alias history; open a version for the lineage graph of how it was made, and compare it with the version before.</p>
${pointed && pointedId ? h`<p class="start">Start here: ${link(ctx, { page: 'record', id: pointedId }, `${pointed.model.name}@${pointed.alias}`, {}, 'startlink')} (v${pointed.versions.join(', v')}) — how it was made · ${link(ctx, { page: 'model', name: pointed.model.name }, `all versions of ${pointed.model.name}`)}</p>` : ''}
${models.total === 0 && datasets.total === 0 ? h`<p class="empty">This store has no models or datasets yet. Record one with <code>mlmeta run</code> or <code>mlmeta record</code>; try <code>mlmeta demo</code> for an example.</p>` : ''}
<section aria-labelledby="models-h"><h2 id="models-h">Models <span class="count">${models.total}</span></h2>
<table class="grid" id="models"><thead><tr><th scope="col">Model</th><th scope="col">Latest</th><th scope="col">Aliases</th><th scope="col">Main metric</th><th scope="col">Versions</th><th scope="col">Updated</th></tr></thead><tbody>
${modelRows.map((m) => h`<tr><th scope="row">${link(ctx, { page: 'model', name: m.name }, m.name)}</th><td>${link(ctx, { page: 'record', id: m.id }, `v${m.latest}`)}</td><td>${m.aliases.map((a) => h`<span class="alias">${a.alias} → v${a.versions.join(', v')}</span> `)}</td><td class="num">${m.metric ? h`<span class="mkey">${m.metric.key}</span> ${fmtNumber(m.metric.value)}` : ''}</td><td class="num">${m.versions}</td><td>${fmtTime(m.created)}</td></tr>`)}
</tbody></table>${pager(ctx, { page: 'home' }, input.query, mPage, size, models.total, 'mpage')}</section>
<section aria-labelledby="data-h"><h2 id="data-h">Datasets <span class="count">${datasets.total}</span></h2>
<table class="grid" id="datasets"><thead><tr><th scope="col">Dataset</th><th scope="col">Latest</th><th scope="col">Files</th><th scope="col">Size</th><th scope="col">Versions</th><th scope="col">Updated</th></tr></thead><tbody>
${datasetRows.map((d) => h`<tr><th scope="row">${link(ctx, { page: 'dataset', name: d.name }, d.name)}</th><td>${link(ctx, { page: 'record', id: d.id }, `v${d.latest}`)}</td><td class="num">${fmtNumber(d.files)}</td><td class="num">${fmtBytes(d.size)}</td><td class="num">${d.versions}</td><td>${fmtTime(d.created)}</td></tr>`)}
</tbody></table>${pager(ctx, { page: 'home' }, input.query, dPage, size, datasets.total, 'dpage')}</section>
${runs.length ? h`<section aria-labelledby="runs-h"><h2 id="runs-h">Recent runs</h2><table class="grid" id="runs"><thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead><tbody>
${runs.map((r) => h`<tr><th scope="row">${recordLink(ctx, { kind: 'run', ...r })}</th><td>${r.status !== null ? kindBadge(String(r.status)) : ''}</td><td>${fmtTime(r.created)}</td></tr>`)}</tbody></table></section>` : ''}`;
  return { title: 'Home', json, body };
}

// A model (or any versioned line): its versions as a table — params and metrics as columns,
// sorted and paged on the server, only the columns that differ unless asked for all —
// aliases on their rows with their history, and each metric charted across versions.
import type { Graph } from '../../graph/graph.js';
import { fmtNumber, fmtTime, h, jsonBlock, type Html } from '../html.js';
import { link, notFound, pageParam, pager, sortHead, type Page, type PageInput } from '../layout.js';
import { aliasMoves, currentAliases, fieldsOf, lineCount, metricSeries, previousOf, versionsOf } from '../queries.js';
import { href, type Ctx, type Route } from '../routes.js';

const MAX_COLUMNS = 40;
const MAX_CHARTS = 6;
/** Points per chart (about one per pixel of a chart): longer lines are thinned to every k-th version, the last always kept. */
const MAX_POINTS = 600;

export interface ChartData {
  metric: string;
  /** x values (versions), y values */
  x: number[];
  y: number[];
  /** the record each point opens */
  ids: string[];
  /** versions in the line (the chart shows every k-th past MAX_POINTS) */
  total: number;
}

export function metricCharts(g: Graph, kind: string, name: string, keys: string[], total: number): ChartData[] {
  return keys.slice(0, MAX_CHARTS).map((key) => {
    const s = metricSeries(g, kind, name, key, Math.max(1, Math.ceil(total / MAX_POINTS)));
    return { metric: key.slice('metrics.'.length), x: s.map((p) => p.version), y: s.map((p) => p.value), ids: s.map((p) => p.id), total };
  });
}

/** Charts drawn by ui.js from their data block; a click on a point opens its record. */
export function chartsBlock(ctx: Ctx, charts: Array<Omit<ChartData, 'ids'> & { ids?: string[] }>, xLabel: string): Html {
  if (!charts.length) return h``;
  return h`<div class="charts">${charts.map(({ ids, ...c }) => h`<figure class="chart"><figcaption>${c.metric}${c.total > MAX_POINTS ? h` <span class="note">(${c.x.length} of ${c.total} points)</span>` : ''}</figcaption><div class="plot" aria-label="${c.metric} by ${xLabel}"></div>${jsonBlock('chart-data', { ...c, xLabel, hrefs: ids?.map((id) => href(ctx, { page: 'record', id }) ?? '') })}</figure>`)}</div>`;
}
export function modelPage(input: PageInput, kind = 'model'): Page {
  const { store, query } = input;
  const name = (input.route as Extract<Route, { page: 'model' }>).name;
  const g = store.graph();
  const total = lineCount(g, kind, name);
  if (total === 0) return notFound(`There is no ${kind} named ${name}.`);
  // Any params/metrics key may be a sort key (it is a bound parameter, never SQL text).
  const sort = query.sort === 'created' || /^(params|metrics)\.[^\s]{1,200}$/.test(query.sort ?? '') ? query.sort! : 'version';
  const desc = query.order !== 'asc';
  const size = input.pageSize;
  const page = pageParam(query);
  const rows = versionsOf(g, kind, name, sort, desc, size, (page - 1) * size);
  const values = fieldsOf(g, rows.map((r) => r.id));
  // Columns come from the versions on this page, and "differ" means differ among them (as
  // MLflow's and DVC's compare views do): the cost is one page's, at any line length.
  const rank = (k: string) => (k.startsWith('params.') ? 0 : 1);
  const columns = [...new Set(rows.flatMap((r) => [...(values.get(r.id)?.keys() ?? [])]))].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const differs = (key: string) => new Set(rows.map((r) => JSON.stringify(values.get(r.id)?.get(key) ?? null))).size > 1;
  const showAll = query.cols === 'all' || rows.length <= 1;
  const differing = columns.filter(differs);
  const chosen = (showAll ? columns : differing).slice(0, MAX_COLUMNS);
  if (sort !== 'version' && sort !== 'created' && !chosen.includes(sort)) chosen.unshift(sort);
  const previous = previousOf(g, rows.map((r) => r.id));
  const aliases = currentAliases(g, name);
  const aliasesOf = (id: string) => [...aliases].filter(([, t]) => t.includes(id)).map(([a]) => a);
  const moves = aliasMoves(g, name, 50).map((m) => ({ ...m, version: m.target ? (g.describe(m.target)?.version ?? null) : null }));
  const versions = rows.map((r) => ({
    id: r.id, version: r.version, created: r.created, author: r.author, commit: r.commit, message: r.message,
    aliases: aliasesOf(r.id), previous: previous.get(r.id) ?? [],
    values: Object.fromEntries(chosen.map((c) => [c, values.get(r.id)?.get(c) ?? null])),
  }));
  const metricKeys = columns.filter((c) => c.startsWith('metrics.'));
  const charts = metricCharts(g, kind, name, metricKeys, total);
  const json = {
    kind, name, total, page, pageSize: size, sort, order: desc ? 'desc' : 'asc', columns: chosen,
    hiddenColumns: columns.length - chosen.length, onlyDiffering: !showAll,
    aliases: Object.fromEntries(aliases), aliasHistory: moves, versions, charts,
  };
  const route = input.route;
  const body = (ctx: Ctx) => {
    const cur = { sort, desc };
    const toggle = total > 1 ? link(ctx, route, showAll ? 'Only the columns that differ' : `All columns (${columns.length})`, { ...query, cols: showAll ? '' : 'all', page: '' }, 'toggle') : h``;
    return h`
<h1><span class="kind">${kind}</span> ${name}</h1>
<p class="lede">${total} version${total === 1 ? '' : 's'}${[...aliases].map(([a, t]) => h` · <span class="alias">${a}</span> → ${t.map((id) => (id ? link(ctx, { page: 'record', id }, `v${g.describe(id)?.version ?? '?'}`) : 'removed'))}`)}</p>
${chartsBlock(ctx, charts, 'version')}
${ctx.mode === 'server' && total > 1 ? h`<form class="compare" method="get" action="/compare"><label for="cmp-from">Compare</label> <input id="cmp-from" name="from" value="${name}@${Math.max(1, (versions[0]?.version ?? 2) - 1)}" size="24"> <label for="cmp-to">with</label> <input id="cmp-to" name="to" value="${name}@${aliases.has('production') ? 'production' : (versions[0]?.version ?? 1)}" size="24"> <button type="submit">Compare</button> <span class="note">any refs: ${name}@2, ${name}@production, an id</span></form>` : ''}
<section aria-labelledby="versions-h"><h2 id="versions-h">Versions</h2>
<p class="tools">${showAll ? `Showing all ${columns.length} columns.` : `Showing the ${differing.length} column${differing.length === 1 ? '' : 's'} whose values differ between the versions below.`}${chosen.length < (showAll ? columns : differing).length ? ` (first ${MAX_COLUMNS})` : ''} ${ctx.mode === 'server' ? toggle : ''}</p>
<div class="scroll"><table class="grid" id="versions"><thead><tr>${sortHead(ctx, route, query, 'version', 'Version', cur)}<th scope="col">Aliases</th>${chosen.map((c) => sortHead(ctx, route, query, c, c, cur))}${sortHead(ctx, route, query, 'created', 'Created', cur)}<th scope="col">Compare</th></tr></thead><tbody>
${versions.map((v) => h`<tr data-id="${v.id}"><th scope="row">${link(ctx, { page: 'record', id: v.id }, `v${v.version}`)}</th><td>${v.aliases.map((a) => h`<span class="alias">${a}</span> `)}</td>${chosen.map((c) => h`<td class="${typeof v.values[c] === 'number' ? 'num' : ''}">${fmtNumber(v.values[c])}</td>`)}<td>${fmtTime(v.created)}</td><td>${v.previous.slice(0, 1).map((p) => link(ctx, { page: 'diff', from: p, to: v.id }, 'diff with previous'))}</td></tr>`)}
</tbody></table></div>${pager(ctx, route, query, page, size, total)}</section>
${moves.length ? h`<section aria-labelledby="alias-h"><h2 id="alias-h">Alias history</h2><table class="grid" id="alias-history"><thead><tr><th scope="col">Alias</th><th scope="col">Points to</th><th scope="col">When</th><th scope="col">By</th><th scope="col">Message</th></tr></thead><tbody>
${moves.map((m) => h`<tr><td><span class="alias">${m.alias}</span></td><td>${m.target ? link(ctx, { page: 'record', id: m.target }, `v${m.version ?? '?'}`) : 'removed'}</td><td>${fmtTime(m.created)}</td><td>${m.author ?? ''}</td><td>${m.message ?? ''}</td></tr>`)}</tbody></table></section>` : ''}`;
  };
  return { title: `${kind} ${name}`, json, body, charts: metricKeys.length > 0 };
}

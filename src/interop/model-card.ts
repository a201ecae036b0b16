// `mlmeta export model-card REF`: a Hugging Face model card (README.md: YAML front matter +
// Markdown) for a model record. Front matter (hub-docs modelcard.md): `datasets` (the names
// of the dataset records it was made from — mlmeta names, not Hub ids), `metrics` (metric
// names), `model-index` (one result with the model's metrics, on its first dataset: the
// Hub requires a dataset per result, so no dataset means no model-index), `base_model`
// (a parent model linked with role `model` or `base`), `tags`. The body says how it was
// made, shows the lineage as a Mermaid graph, the code commit, parameters, the data with
// digests and how to reproduce. Every value from a record is escaped for Markdown.
import { MlmetaError } from '../errors.js';
import type { Store } from '../api/store.js';
import type { RecordBody } from '../records/record.js';
import { canonicalYaml } from '../records/yaml.js';
import { flatParams, labelOf, subgraphOf, type Subgraph } from './subgraph.js';

/** Text safe inside a Markdown table cell or line: no HTML, no pipes, no line breaks, no control characters. */
function md(s: unknown): string {
  return String(s).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '&#124;').replace(/`/g, '&#96;').replace(/\[/g, '&#91;').replace(/]/g, '&#93;');
}

/** Text for a Mermaid node label in quotes. */
function mermaidText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

/** Inline code that cannot be closed early by the value. */
function code(s: string): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  const ticks = '`'.repeat(Math.max(0, ...[...clean.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  return `${ticks} ${clean} ${ticks}`;
}

/** One line inside the ```sh fence: no line breaks, and no backtick run that could close the fence. */
function shLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/`{3,}/g, '` ` `');
}

function flatMetrics(v: unknown, prefix = '', out: Array<[string, number]> = []): Array<[string, number]> {
  if (typeof v === 'number') out.push([prefix, v]);
  else if (v && typeof v === 'object' && !Array.isArray(v)) for (const k of Object.keys(v).sort()) flatMetrics((v as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out);
  return out;
}

function digestText(id: string, r: RecordBody): string {
  const parts: string[] = [];
  if (typeof r.digest === 'string') parts.push(`sha256 ${r.digest}`);
  if (r.digests && typeof r.digests === 'object') for (const [k, v] of Object.entries(r.digests).sort()) if (typeof v === 'string') parts.push(`${k} ${v}`);
  return parts.length ? parts.join(', ') : `record ${id}`;
}

export function modelCard(g: Subgraph): string {
  const model = g.records.get(g.root)!;
  if (model.kind !== 'model') throw new MlmetaError('E_BAD_INPUT', `a model card describes a model; ${labelOf(model)} is a ${model.kind}`);
  const datasets = g.order.filter((id) => g.records.get(id)!.kind === 'dataset');
  const runs = g.order.filter((id) => g.records.get(id)!.kind === 'run');
  const metrics = flatMetrics(model.metrics);
  const bases = (model.parents ?? []).filter((p) => (p.role === 'model' || p.role === 'base') && g.records.get(p.id)?.kind === 'model').map((p) => g.records.get(p.id)!.name ?? p.id);
  const front: Record<string, unknown> = { tags: ['mlmeta'] };
  const datasetNames = [...new Set(datasets.map((id) => g.records.get(id)!.name ?? id))];
  if (datasetNames.length) front.datasets = datasetNames;
  if (metrics.length) front.metrics = metrics.map(([k]) => k);
  if (bases.length) front.base_model = bases.length === 1 ? bases[0] : bases;
  if (metrics.length && datasetNames.length) {
    // The dataset the model's own run trained on, when there is one: the closest data.
    const runParents = (model.parents ?? []).filter((p) => g.records.get(p.id)?.kind === 'run').flatMap((p) => g.records.get(p.id)!.parents ?? []);
    const dataId = runParents.find((p) => g.records.get(p.id)?.kind === 'dataset')?.id ?? datasets[0]!;
    const d = g.records.get(dataId)!;
    front['model-index'] = [{
      name: model.name,
      results: [{ task: { type: 'other', name: 'mlmeta recorded metrics' }, dataset: { type: d.name ?? dataId, name: d.name ?? dataId, revision: dataId }, metrics: metrics.map(([k, v]) => ({ type: k, name: k, value: v })) }],
    }];
  }
  const commit = (model.code as { commit?: string } | undefined)?.commit ?? runs.map((id) => (g.records.get(id)!.code as { commit?: string } | undefined)?.commit).find(Boolean);
  const lines: string[] = [];
  lines.push('---', canonicalYaml(front).trimEnd(), '---', '');
  lines.push(`# ${md(model.name ?? g.root)}`, '');
  lines.push(`Version ${md(model.version ?? 1)} of model ${md(model.name)}, recorded ${md(model.created)}${model.author ? ` by ${md(model.author)}` : ''}. mlmeta record ${code(g.root)}.`, '');
  if (typeof model.digest === 'string' || model.digests) lines.push(`Digests: ${md(digestText(g.root, model))}.`, '');
  if (typeof model.message === 'string' && model.message) lines.push(md(model.message), '');
  lines.push('## How it was made', '');
  if (runs.length === 0) lines.push('No run is recorded in its lineage.', '');
  for (const id of runs) {
    const r = g.records.get(id)!;
    const cmd = Array.isArray(r.command) ? r.command.join(' ') : typeof r.command === 'string' ? r.command : undefined;
    lines.push(`- ${md(labelOf(r))} (${code(id.slice(0, 12))}), ${md(r.status ?? 'recorded')}, started ${md(typeof r.started === 'string' ? r.started : r.created)}${cmd ? `: ${code(cmd)}` : ''}`);
  }
  if (runs.length) lines.push('');
  lines.push('## Lineage', '', '```mermaid', 'graph TD');
  const node = (id: string) => `n${id.slice(0, 12)}`;
  for (const id of g.order) lines.push(`  ${node(id)}["${mermaidText(labelOf(g.records.get(id)!))}"]`);
  for (const id of g.order) for (const p of g.records.get(id)!.parents ?? []) {
    if (p.role !== 'previous' && g.records.has(p.id)) lines.push(`  ${node(p.id)} -->|${mermaidText(p.role).replace(/\|/g, ' ')}| ${node(id)}`);
  }
  lines.push('```', '');
  lines.push('## Code', '', commit ? `Git commit ${code(commit)}.` : 'No code commit was recorded.', '');
  const params = flatParams(model.params ?? (runs.length ? g.records.get(runs[runs.length - 1]!)!.params : undefined));
  lines.push('## Parameters', '');
  if (params.length) lines.push('| parameter | value |', '| --- | --- |', ...params.map(([k, v]) => `| ${md(k)} | ${md(v)} |`));
  else lines.push('None recorded.');
  lines.push('');
  lines.push('## Metrics', '');
  if (metrics.length) lines.push('| metric | value |', '| --- | --- |', ...metrics.map(([k, v]) => `| ${md(k)} | ${v} |`));
  else lines.push('None recorded.');
  lines.push('');
  lines.push('## Data', '');
  if (datasets.length) lines.push('| dataset | version | digest |', '| --- | --- | --- |', ...datasets.map((id) => { const d = g.records.get(id)!; return `| ${md(d.name ?? id)} | ${md(d.version ?? '')} | ${md(digestText(id, d))} |`; }));
  else lines.push('No dataset is recorded in its lineage.');
  lines.push('');
  lines.push('## How to reproduce', '', '```sh');
  if (commit) lines.push(`git checkout ${shLine(commit)}`);
  for (const id of runs) {
    const r = g.records.get(id)!;
    const cmd = Array.isArray(r.command) ? r.command.join(' ') : typeof r.command === 'string' ? r.command : undefined;
    if (cmd) lines.push(`# ${shLine(labelOf(r))}`, shLine(cmd));
  }
  lines.push(`mlmeta verify ${g.root}`, `mlmeta lineage ${g.root}`, '```', '');
  return lines.join('\n');
}

export function exportModelCard(store: Store, ref: string): string {
  return modelCard(subgraphOf(store, ref));
}

// One record as index rows (schema.ts): the record row, its parents, its params/metrics
// leaves and its content hashes. Pure: no database here, so rows can be made before a
// write transaction is opened (parsing YAML is the slow part of a build).
import type { RecordBody } from '../records/record.js';
import { summarise } from './summary.js';

/** Facts shown next to a node in lineage views. */
export function keyFacts(s: RecordBody): Record<string, string | number | boolean> {
  const f: Record<string, string | number | boolean> = {};
  if (typeof s.digest === 'string') f.digest = s.digest.slice(0, 12);
  if (typeof s.file_count === 'number') f.files = s.file_count;
  if (s.code?.commit) f.commit = s.code.commit.slice(0, 10);
  if (s.code?.dirty) f.dirty = true;
  const metric = s.metrics && Object.entries(s.metrics).find(([, v]) => typeof v === 'number');
  if (metric) f[metric[0]] = metric[1] as number;
  if (typeof s.status === 'string') f.status = s.status;
  return f;
}

/** How lineage and lists name a record: `model churn@3`, `alias churn@production`, `manifest`. */
export function labelOf(r: { kind: string; name: string | null; version: number | null; alias: string | null }): string {
  if (r.kind === 'alias') return `alias ${r.name}@${r.alias}`;
  if (r.name === null) return r.kind;
  return r.version ? `${r.kind} ${r.name}@${r.version}` : `${r.kind} ${r.name}`;
}

export interface RecordRows {
  id: string;
  /** nodes (schema.ts): id, kind, commit, view */
  node: [string, string, string | null, string];
  record: [string, string, string, string | null, number | null, string | null, string | null, string | null, number | null, string | null, string | null, string | null, string, string];
  edges: Array<[string, number, string, string]>;
  fields: Array<[string, string, number | null, string]>;
  hashes: Array<[string, string, string, string | null]>;
}

/** A scalar as find compares it: its number (numbers and numeric text) and its text. */
export function numberAndText(v: string | number | boolean): [number | null, string] {
  if (typeof v === 'number') return [Number.isFinite(v) ? v : null, String(v)];
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return [Number(v), v];
  return [null, String(v)];
}

/** Scalar leaves under a mapping, as dotted keys. A key holding '.' cannot be named by a dotted path and is left out. */
function leaves(prefix: string, v: unknown, out: Array<[string, string | number | boolean]>): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'object') {
    if (Array.isArray(v)) return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!k.includes('.')) leaves(`${prefix}.${k}`, x, out);
    return;
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push([prefix, v]);
}

export function rowsOf(id: string, r: RecordBody): RecordRows {
  const s = summarise(r);
  const facts = keyFacts(r);
  const parents = Array.isArray(r.parents) ? r.parents : [];
  const alias = r.kind === 'alias' ? String(r.alias) : null;
  const target = r.kind === 'alias' ? (parents.find((p) => p.role === 'target')?.id ?? null) : null;
  const record: RecordRows['record'] = [
    id, id.slice(0, 2), r.kind, typeof r.name === 'string' ? r.name : null, typeof r.version === 'number' ? r.version : null,
    typeof r.created === 'string' ? r.created : null, typeof r.author === 'string' ? r.author : null, typeof r.code?.commit === 'string' ? r.code.commit : null,
    typeof r.code?.dirty === 'boolean' ? Number(r.code.dirty) : null, s.$message ?? null, alias, target,
    JSON.stringify(facts), JSON.stringify(s),
  ];
  const [, , kind, name, version, , , commit] = record;
  // graph.ts Described, keys in this order (lineage prints the view as it is)
  const view = { id, kind, ...(name !== null ? { name } : {}), ...(version ? { version } : {}), label: labelOf({ kind, name, version, alias }), facts };
  const node: RecordRows['node'] = [id, kind, kind !== 'alias' && commit ? commit : null, JSON.stringify(view)];
  const edges = parents.map((p, i): [string, number, string, string] => [id, i, p.id, p.role]);
  const kv: Array<[string, string | number | boolean]> = [];
  leaves('params', r.params, kv);
  leaves('metrics', r.metrics, kv);
  const fields = kv.map(([k, v]): [string, string, number | null, string] => [id, k, ...numberAndText(v)]);
  const hashes: RecordRows['hashes'] = [];
  for (const a of Array.isArray(r.artifacts) ? r.artifacts : []) if (typeof a?.sha256 === 'string') hashes.push([a.sha256, id, 'artifact', typeof a.path === 'string' ? a.path : null]);
  for (const o of Array.isArray(r.outputs) ? (r.outputs as Array<{ sha256?: unknown; path?: unknown }>) : []) {
    if (typeof o?.sha256 === 'string') hashes.push([o.sha256, id, 'output', typeof o.path === 'string' ? o.path : null]);
  }
  if (r.kind === 'manifest' && Array.isArray(r.files)) {
    for (const f of r.files as Array<{ sha256?: unknown; path?: unknown }>) {
      if (typeof f?.sha256 === 'string') hashes.push([f.sha256, id, 'file', typeof f.path === 'string' ? f.path : null]);
    }
  }
  return { id, node, record, edges, fields, hashes };
}

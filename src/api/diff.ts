// `diff REF [REF]`: what changed between two records (default: REF against its previous
// version) — params, metrics with deltas, data (dataset versions and, from the manifests,
// the files), code, environment, artifacts and other parents.
import { MlmetaError } from '../errors.js';
import type { FileEntry } from '../capture/data-files.js';
import { historyOf, type HistorySummary } from '../records/history.js';
import type { RecordBody } from '../records/record.js';
import type { Json } from '../records/yaml.js';
import type { ResolveOptions } from '../graph/resolve.js';
import type { Store } from './store.js';

export interface ValueChange {
  key: string;
  from?: Json;
  to?: Json;
}

export interface MetricChange extends ValueChange {
  delta?: number;
}

export interface DataChange {
  name: string;
  from?: { id: string; version?: number };
  to?: { id: string; version?: number };
  files?: { added: string[]; removed: string[]; changed: string[] };
}

/** A metric curve on either side, summarised (min, max, last, steps); points are never read. */
export interface CurveChange {
  metric: string;
  from?: HistorySummary;
  to?: HistorySummary;
}

export interface DiffResult {
  from: { id: string; label: string };
  to: { id: string; label: string };
  params: { added: ValueChange[]; removed: ValueChange[]; changed: ValueChange[] };
  metrics: MetricChange[];
  /** every metric with a curve on either side, changed or not: two curves can differ in shape with equal final values */
  curves: CurveChange[];
  data: DataChange[];
  code?: { from?: string; to?: string; fromDirty?: boolean; toDirty?: boolean };
  env: ValueChange[];
  artifacts: ValueChange[];
  parents: { added: Array<{ role: string; id: string }>; removed: Array<{ role: string; id: string }> };
}

function flatten(v: Json | undefined, prefix = '', out = new Map<string, Json>()): Map<string, Json> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, v ?? null);
  }
  return out;
}

const same = (a: Json | undefined, b: Json | undefined) => JSON.stringify(a) === JSON.stringify(b);

function compareMaps(a: Map<string, Json>, b: Map<string, Json>) {
  const added: ValueChange[] = [];
  const removed: ValueChange[] = [];
  const changed: ValueChange[] = [];
  for (const [k, v] of b) {
    if (!a.has(k)) added.push({ key: k, to: v });
    else if (!same(a.get(k), v)) changed.push({ key: k, from: a.get(k), to: v });
  }
  for (const [k, v] of a) if (!b.has(k)) removed.push({ key: k, from: v });
  return { added, removed, changed };
}

function describeRecord(r: RecordBody): string {
  return r.name !== undefined ? `${r.kind} ${r.name}${r.version !== undefined ? `@${r.version}` : ''}` : r.kind;
}

function manifestFiles(store: Store, datasetId: string): FileEntry[] | undefined {
  try {
    const ds = store.read(datasetId);
    const m = (ds.parents ?? []).find((p) => p.role === 'manifest');
    return m ? ((store.read(m.id).files as FileEntry[] | undefined) ?? []) : undefined;
  } catch {
    return undefined;
  }
}

function dataChanges(store: Store, a: RecordBody, b: RecordBody): DataChange[] {
  const byName = (r: RecordBody) => {
    const m = new Map<string, { id: string; version?: number }>();
    for (const p of r.parents ?? []) {
      if (p.role !== 'data') continue;
      const s = store.graph().get(p.id);
      m.set(s?.name ?? p.id, { id: p.id, version: s?.version });
    }
    return m;
  };
  const before = byName(a);
  const after = byName(b);
  const out: DataChange[] = [];
  for (const name of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const from = before.get(name);
    const to = after.get(name);
    if (from?.id === to?.id) continue;
    const change: DataChange = { name, ...(from ? { from } : {}), ...(to ? { to } : {}) };
    if (from && to) {
      const fa = manifestFiles(store, from.id);
      const fb = manifestFiles(store, to.id);
      if (fa && fb) {
        const ma = new Map(fa.map((f) => [f.path, f.sha256]));
        const mb = new Map(fb.map((f) => [f.path, f.sha256]));
        change.files = {
          added: [...mb.keys()].filter((p) => !ma.has(p)),
          removed: [...ma.keys()].filter((p) => !mb.has(p)),
          changed: [...mb].filter(([p, h]) => ma.has(p) && ma.get(p) !== h).map(([p]) => p),
        };
      }
    }
    out.push(change);
  }
  return out;
}

export function diffRecords(store: Store, ref: string, otherRef?: string, opts: ResolveOptions = {}): DiffResult {
  const toId = store.resolve(ref, opts);
  const b = store.read(toId);
  let fromId: string;
  if (otherRef !== undefined) {
    // `diff A B`: from A to B.
    fromId = toId;
    const otherId = store.resolve(otherRef, opts);
    return diffPair(store, fromId, b, otherId, store.read(otherId));
  }
  const prev = (b.parents ?? []).filter((p) => p.role === 'previous');
  if (prev.length === 0) throw new MlmetaError('E_NOT_FOUND', `${ref} has no previous version to compare with; name two refs`);
  if (prev.length > 1) throw new MlmetaError('E_AMBIGUOUS', `${ref} joins ${prev.length} previous versions; name the one to compare with`, { candidates: prev.map((p) => p.id) });
  fromId = prev[0]!.id;
  return diffPair(store, fromId, store.read(fromId), toId, b);
}

function curveChanges(a: RecordBody, b: RecordBody): CurveChange[] {
  const summary = (r: RecordBody) => {
    const m = new Map<string, HistorySummary>();
    for (const [k, e] of Object.entries(historyOf(r))) {
      const { count, min, max, last, first_step, last_step } = e;
      m.set(k, { count, min, max, last, first_step, last_step });
    }
    return m;
  };
  const ha = summary(a);
  const hb = summary(b);
  return [...new Set([...ha.keys(), ...hb.keys()])].sort().map((metric) => ({
    metric,
    ...(ha.has(metric) ? { from: ha.get(metric) } : {}),
    ...(hb.has(metric) ? { to: hb.get(metric) } : {}),
  }));
}

function diffPair(store: Store, aId: string, a: RecordBody, bId: string, b: RecordBody): DiffResult {
  const metricsA = flatten(a.metrics as Json);
  const metricsB = flatten(b.metrics as Json);
  const metrics: MetricChange[] = [];
  for (const key of [...new Set([...metricsA.keys(), ...metricsB.keys()])].sort()) {
    const from = metricsA.get(key);
    const to = metricsB.get(key);
    if (same(from, to)) continue;
    const delta = typeof from === 'number' && typeof to === 'number' ? Number((to - from).toPrecision(12)) : undefined;
    metrics.push({ key, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), ...(delta !== undefined ? { delta } : {}) });
  }
  const env = compareMaps(flatten(a.env as Json), flatten(b.env as Json));
  const art = (r: RecordBody) => new Map<string, Json>((r.artifacts ?? []).map((x) => [x.path, x.sha256]));
  const artifacts = compareMaps(art(a), art(b));
  const key = (p: { role: string; id: string }) => `${p.role} ${p.id}`;
  const pa = new Set((a.parents ?? []).map(key));
  const pb = new Set((b.parents ?? []).map(key));
  const skip = (p: { role: string; id: string }) => p.role === 'data' || p.role === 'previous' || p.id === aId;
  const code = a.code || b.code
    ? { from: a.code?.commit, to: b.code?.commit, fromDirty: a.code?.dirty, toDirty: b.code?.dirty }
    : undefined;
  return {
    from: { id: aId, label: describeRecord(a) },
    to: { id: bId, label: describeRecord(b) },
    params: compareMaps(flatten(a.params as Json), flatten(b.params as Json)),
    metrics,
    curves: curveChanges(a, b),
    data: dataChanges(store, a, b),
    ...(code ? { code } : {}),
    env: [...env.added, ...env.removed, ...env.changed].sort((x, y) => x.key.localeCompare(y.key)),
    artifacts: [...artifacts.added, ...artifacts.removed, ...artifacts.changed],
    parents: {
      added: (b.parents ?? []).filter((p) => !pa.has(key(p)) && !skip(p)),
      removed: (a.parents ?? []).filter((p) => !pb.has(key(p)) && !skip(p)),
    },
  };
}

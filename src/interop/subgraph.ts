// What an export describes: REF and everything it was made from (parents of every role but
// `previous`: an earlier version is history, not an input), read in full and hash-checked,
// in a stable order (created, then id) so the same store gives the same bytes.
import type { Store } from '../api/store.js';
import type { RecordBody } from '../records/record.js';

export interface Subgraph {
  root: string;
  records: Map<string, RecordBody>;
  /** ids, oldest first */
  order: string[];
  /** records made from a record of the subgraph (a run's outputs), by parent id */
  childrenOf: (id: string) => Array<{ role: string; id: string; record: RecordBody }>;
}

/** Kinds that are content, not lineage: left out of exports. */
const SKIPPED = new Set(['manifest', 'series', 'signature']);

export function subgraphOf(store: Store, ref: string): Subgraph {
  const root = store.resolve(ref);
  const records = new Map<string, RecordBody>();
  const queue = [root];
  while (queue.length) {
    const id = queue.shift()!;
    if (records.has(id)) continue;
    let r: RecordBody;
    try {
      r = store.read(id);
    } catch (e) {
      if (id === root) throw e;
      continue; // a parent missing from a partial copy: the export stops there
    }
    if (SKIPPED.has(r.kind) && id !== root) continue;
    records.set(id, r);
    for (const p of r.parents ?? []) if (p.role !== 'previous') queue.push(p.id);
  }
  const order = [...records.keys()].sort((a, b) => (records.get(a)!.created ?? '').localeCompare(records.get(b)!.created ?? '') || (a < b ? -1 : 1));
  const graph = store.graph();
  const childrenOf = (id: string) => graph.childrenWithKind(id)
    .filter((c) => c.role !== 'previous' && !SKIPPED.has(c.kind))
    .map((c) => {
      const record = records.get(c.id) ?? store.read(c.id);
      return { role: c.role, id: c.id, record };
    });
  return { root, records, order, childrenOf };
}

/** Params flattened to dotted keys with text values (what OpenLineage and cards show). */
export function flatParams(v: unknown, prefix = '', out: Array<[string, string]> = []): Array<[string, string]> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const k of Object.keys(v).sort()) flatParams((v as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.push([prefix, typeof v === 'string' ? v : JSON.stringify(v)]);
  return out;
}

export function labelOf(r: RecordBody): string {
  return `${r.kind} ${r.name ?? ''}${r.version !== undefined ? `@${r.version}` : ''}`.trim();
}

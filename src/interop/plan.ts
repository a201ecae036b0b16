// An import as a plan: every record an importer would make, built and validated in memory
// from the source alone, then applied in one go under the store's write lock.
//
// Idempotence. A record's bytes must not depend on the clock or on the order of imports,
// yet versioned lines need `version` and `previous`, which depend on the store. So each
// planned record gets an import key: the SHA-256 of its content without version and
// `previous` links (kind, name, fields, other parents). The key is kept in the record
// (`import: {tool, key}`). Applying the plan, a record whose key is already on its line is
// that record (nothing written); otherwise it becomes the line's next version, linking the
// line's head(s) as `previous`, exactly as commitRecord does. Same source twice → nothing
// added; a source that grew → only the new records.
//
// All or nothing. Reading and parsing the source happen before the lock. Under it, every
// record's bytes are computed and validated first, and only then are the objects written,
// parents first (series objects before their runs), each file atomically: a refusal writes
// nothing, an interrupted import leaves whole records whose parents exist, and running it
// again completes it.
import { MlmetaError } from '../errors.js';
import { lineKey } from '../graph/graph.js';
import type { ContentObject } from '../records/history.js';
import { isVersioned, validateRecord, type Parent } from '../records/record.js';
import { canonicalYaml, normalise } from '../records/yaml.js';
import { sha256Hex, writeObjectsBulk } from '../store/objects.js';
import type { Store } from '../api/store.js';

/** A parent: another planned record (by its plan-local ref) or a stored record (by id). */
export type PlannedParent = { role: string; ref: string } | { role: string; id: string };

export interface PlannedRecord {
  /** plan-local handle other records name as parent, e.g. `run:<mlflow run id>` */
  ref: string;
  kind: string;
  name: string;
  /** fields besides mlmeta/kind/name/version/parents/import (created, author, params…) */
  body: Record<string, unknown>;
  parents: PlannedParent[];
  /** content objects (series) to write before the record */
  objects?: ContentObject[];
}

export interface ImportPlan {
  tool: 'mlflow' | 'dvc';
  records: PlannedRecord[];
  /** oddities in the source, one line each (skipped files, unreadable values…) */
  warnings: string[];
}

export interface AppliedRecord {
  ref: string;
  id: string;
  kind: string;
  name: string;
  version?: number;
  /** false when the store already held it (nothing written) */
  added: boolean;
}

export interface ImportResult {
  tool: string;
  dryRun: boolean;
  records: AppliedRecord[];
  added: number;
  existing: number;
  warnings: string[];
}

/**
 * Check the plan's shape: every parent ref planned before it is named. Record contents are
 * validated when the plan is resolved, which happens before the first write.
 */
export function checkPlan(plan: ImportPlan): void {
  const known = new Set<string>();
  for (const r of plan.records) {
    for (const p of r.parents) {
      if ('ref' in p && !known.has(p.ref)) throw new MlmetaError('E_INTERNAL', `import plan: ${r.ref} names ${p.ref} before it is planned`);
    }
    if (known.has(r.ref)) throw new MlmetaError('E_INTERNAL', `import plan: ${r.ref} is planned twice`);
    known.add(r.ref);
  }
}

/** JSON with sorted keys: a stable text to hash for import keys (cheaper than the YAML form). */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** An alias record's `target` is its `target` parent, known once parents are resolved. */
function bodyOf(r: PlannedRecord, parents: Parent[]): Record<string, unknown> {
  if (r.kind !== 'alias') return r.body;
  return { ...r.body, target: parents.find((p) => p.role === 'target')?.id ?? null };
}

function finalBody(tool: string, r: PlannedRecord, parents: Parent[], version: number | undefined, key: string): Record<string, unknown> {
  return { ...bodyOf(r, parents), mlmeta: 1, kind: r.kind, name: r.name, version, parents: parents.length ? parents : undefined, import: { tool, key } };
}

interface LineState {
  heads: string[];
  version: number;
  /** import key → id of the record on this line that carries it */
  keys: Map<string, string>;
}

/**
 * Compute every record's final bytes against the store as it is (call under the write lock
 * to write them). Returns the records in plan order and the objects to write.
 */
function resolvePlan(store: Store, plan: ImportPlan): { applied: AppliedRecord[]; writes: Array<{ id: string; bytes: Buffer }> } {
  const graph = store.graph();
  const ids = new Map<string, string>();
  const lines = new Map<string, LineState>();
  const lineOf = (kind: string, name: string): LineState => {
    const k = lineKey(kind, name);
    let st = lines.get(k);
    if (!st) {
      const heads = graph.heads(kind, name);
      const keys = new Map<string, string>();
      for (const id of graph.line(kind, name)) {
        const key = (graph.full(id)?.import as { key?: unknown } | undefined)?.key;
        if (typeof key === 'string') keys.set(key, id);
      }
      st = { heads, version: Math.max(0, ...heads.map((h) => graph.get(h)?.version ?? 0)), keys };
      lines.set(k, st);
    }
    return st;
  };
  const applied: AppliedRecord[] = [];
  const writes: Array<{ id: string; bytes: Buffer }> = [];
  // targets of alias records made by this plan (not in the index yet)
  const newTargets = new Map<string, unknown>();
  for (const r of plan.records) {
    const parents: Parent[] = r.parents.map((p) => ({ role: p.role, id: 'id' in p ? p.id : ids.get(p.ref)! }));
    const body0 = bodyOf(r, parents);
    const key = sha256Hex(stableJson({ kind: r.kind, name: r.name, body: body0, parents }));
    let st: LineState;
    let version: number | undefined;
    if (r.kind === 'alias') {
      // An alias line is `name@alias`; its head decides, since an alias may move back.
      st = lineOf('alias', `${r.name}@${String(r.body.alias)}`);
      const head = st.heads.length === 1 ? st.heads[0]! : undefined;
      if (head !== undefined && (newTargets.has(head) ? newTargets.get(head) : graph.get(head)?.target) === body0.target) {
        ids.set(r.ref, head);
        applied.push({ ref: r.ref, id: head, kind: r.kind, name: r.name, added: false });
        continue;
      }
    } else {
      st = lineOf(r.kind, r.name);
      const existing = st.keys.get(key);
      if (existing !== undefined) {
        ids.set(r.ref, existing);
        applied.push({ ref: r.ref, id: existing, kind: r.kind, name: r.name, version: graph.get(existing)?.version, added: false });
        continue;
      }
    }
    if (isVersioned(r.kind)) version = st.version + 1;
    for (const h of st.heads) parents.push({ role: 'previous', id: h });
    const body = validateRecord(normalise(finalBody(plan.tool, r, dedupe(parents), version, key), r.ref), 'E_BAD_INPUT', `imported ${r.kind} ${JSON.stringify(r.name)}`);
    const bytes = Buffer.from(canonicalYaml(body), 'utf8');
    const id = sha256Hex(bytes);
    for (const o of r.objects ?? []) writes.push(o);
    writes.push({ id, bytes });
    ids.set(r.ref, id);
    if (r.kind === 'alias') newTargets.set(id, body0.target);
    st.heads = [id];
    st.keys.set(key, id);
    if (version !== undefined) st.version = version;
    applied.push({ ref: r.ref, id, kind: r.kind, name: r.name, version, added: true });
  }
  return { applied, writes };
}

function dedupe(parents: Parent[]): Parent[] {
  const seen = new Set<string>();
  return parents.filter((p) => {
    const k = `${p.role}\0${p.id}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Apply a checked plan: compute ids and write the new objects under the write lock (or only compute them, dry). */
export function applyPlan(store: Store, plan: ImportPlan, opts: { dryRun?: boolean } = {}): ImportResult {
  checkPlan(plan);
  const finish = ({ applied }: { applied: AppliedRecord[] }): ImportResult => {
    const added = applied.filter((a) => a.added).length;
    return { tool: plan.tool, dryRun: !!opts.dryRun, records: applied, added, existing: applied.length - added, warnings: plan.warnings };
  };
  if (opts.dryRun) return finish(resolvePlan(store, plan));
  return store.withWriteLock(() => {
    const resolved = resolvePlan(store, plan);
    // Bulk write: one file-system sync for the lot instead of an fsync per object.
    if (resolved.writes.length) {
      writeObjectsBulk(store.layout.objects, resolved.writes);
      store.invalidateGraph();
    }
    return finish(resolved);
  });
}

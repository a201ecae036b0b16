// `log [NAME]`: versions newest first, with forks (a version with several heads after it)
// and joins (a version with several `previous` parents) visible.
import { MlmetaError } from '../errors.js';
import { isVersioned } from '../records/record.js';
import type { Store } from './store.js';

export interface LogEntry {
  id: string;
  kind: string;
  name: string;
  version: number;
  created: string;
  author?: string;
  dirty?: boolean;
  /** the `-m` message, cut at 500 characters (`show` gives all of it) */
  message?: string;
  /** ids of the `previous` parents: two or more means this version joined a fork */
  previous: string[];
  /** true when no later version follows this one */
  head: boolean;
  metrics?: Record<string, unknown>;
}

export function logOf(store: Store, name?: string, opts: { kind?: string; limit?: number; offset?: number } = {}): LogEntry[] {
  for (const [flag, v] of [['--limit', opts.limit], ['--offset', opts.offset]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new MlmetaError('E_USAGE', `${flag} must be a whole number`);
  }
  const graph = store.graph();
  const lines: Array<[string, string]> = [];
  for (const key of graph.lineKeys(name)) {
    // Split at the first NUL only: kinds never hold one (records with a NUL in a name are
    // malformed and left out of the index, but an index built before that rule may hold one).
    const cut = key.indexOf('\u0000');
    const kind = key.slice(0, cut);
    const n = key.slice(cut + 1);
    if (kind === 'alias' || !isVersioned(kind)) continue;
    if (name !== undefined && n !== name) continue;
    if (opts.kind !== undefined && kind !== opts.kind) continue;
    lines.push([kind, n]);
  }
  if (name !== undefined && lines.length === 0) {
    throw new MlmetaError('E_NOT_FOUND', `no records named ${name}${opts.kind ? ` of kind ${opts.kind}` : ''}`);
  }
  const entries: LogEntry[] = [];
  for (const [kind, n] of lines) {
    const heads = new Set(graph.heads(kind, n));
    for (const id of graph.line(kind, n)) {
      const s = graph.full(id)!;
      entries.push({
        id,
        kind,
        name: n,
        version: s.version ?? 0,
        created: s.created,
        author: s.author,
        dirty: s.code?.dirty,
        message: s.$message,
        previous: (s.parents ?? []).filter((p) => p.role === 'previous').map((p) => p.id),
        head: heads.has(id),
        metrics: s.metrics as Record<string, unknown> | undefined,
      });
    }
  }
  // One name: by version (clocks of different machines may disagree). All: by time.
  const byVersion = (a: LogEntry, b: LogEntry) => b.version - a.version || b.created.localeCompare(a.created);
  const byTime = (a: LogEntry, b: LogEntry) => b.created.localeCompare(a.created) || b.version - a.version;
  entries.sort((a, b) => (name !== undefined ? byVersion(a, b) : byTime(a, b)) || a.id.localeCompare(b.id));
  const from = opts.offset ?? 0;
  return entries.slice(from, opts.limit !== undefined ? from + opts.limit : undefined);
}


// `find`: records filtered by kind, name, time and --where expressions, from the index
// (no YAML is parsed), sorted and limited.
import { dateBound } from '../records/dates.js';
import { MlmetaError } from '../errors.js';
import { getPath, matches, parseWhere, type Expr } from '../graph/query.js';
import type { Summary } from '../graph/summary.js';
import type { Store } from './store.js';

export interface FindOptions {
  kind?: string;
  name?: string;
  where?: string[];
  since?: string;
  until?: string;
  /** a field path to sort by, largest first (default: created, newest first) */
  sort?: string;
  /** sort smallest first instead */
  ascending?: boolean;
  limit?: number;
}

export interface FindHit {
  id: string;
  record: Summary;
}

export function findRecords(store: Store, opts: FindOptions = {}): FindHit[] {
  const exprs: Expr[] = (opts.where ?? []).map(parseWhere);
  const since = opts.since !== undefined ? dateBound(opts.since, '--since').start : undefined;
  const until = opts.until !== undefined ? dateBound(opts.until, '--until').end : undefined;
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 0)) throw new MlmetaError('E_USAGE', '--limit must be a whole number');
  const hits: FindHit[] = [];
  for (const [id, s] of store.graph().fullSummaries()) {
    if (opts.kind !== undefined && s.kind !== opts.kind) continue;
    if (opts.name !== undefined && s.name !== opts.name) continue;
    if (since !== undefined && !(typeof s.created === 'string' && s.created >= since)) continue;
    if (until !== undefined && !(typeof s.created === 'string' && s.created < until)) continue;
    if (!exprs.every((e) => matches(e, { id, ...s }))) continue;
    hits.push({ id, record: s });
  }
  const desc = !opts.ascending;
  const path = (opts.sort ?? 'created').split('.');
  hits.sort((a, b) => {
    const x = getPath(a.record, path) as string | number | undefined;
    const y = getPath(b.record, path) as string | number | undefined;
    if (x === y) return a.id.localeCompare(b.id);
    if (x === undefined) return 1; // missing values last either way
    if (y === undefined) return -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return desc ? -c : c;
  });
  return opts.limit !== undefined ? hits.slice(0, opts.limit) : hits;
}


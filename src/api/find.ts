// `find`: records filtered by kind, name, time and --where expressions, sorted and paged —
// one query over the index (src/graph/find.ts); no YAML is parsed.
import { dateBound } from '../records/dates.js';
import { MlmetaError } from '../errors.js';
import { findIds } from '../graph/find.js';
import { parseWhere, type Expr } from '../graph/query.js';
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
  /** skip this many hits first (paging with --limit) */
  offset?: number;
}

export interface FindHit {
  id: string;
  record: Summary;
}

function wholeNumber(v: number | undefined, flag: string): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new MlmetaError('E_USAGE', `${flag} must be a whole number`);
}

export function findRecords(store: Store, opts: FindOptions = {}): FindHit[] {
  const where: Expr[] = (opts.where ?? []).map(parseWhere);
  const since = opts.since !== undefined ? dateBound(opts.since, '--since').start : undefined;
  const until = opts.until !== undefined ? dateBound(opts.until, '--until').end : undefined;
  wholeNumber(opts.limit, '--limit');
  wholeNumber(opts.offset, '--offset');
  return findIds(store.graph(), { kind: opts.kind, name: opts.name, where, since, until, sort: opts.sort, ascending: opts.ascending, limit: opts.limit, offset: opts.offset });
}

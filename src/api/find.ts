// `find`: records filtered by kind, name, time and --where expressions, from the index
// (no YAML is parsed), sorted and limited.
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

/**
 * A `--since`/`--until` date as the half-open interval of instants it names, in UTC (as
 * records' `created` are): `2026` is the whole year, `2026-03` the month, `2026-03-14` the
 * day, a full ISO-8601 timestamp one millisecond. So `--since 2026 --until 2026` is 2026.
 * Seconds since 1970 need an `@` (`@1767225600`) or at least 9 digits: a bare `2026` is a
 * year, never 33 minutes after 1970.
 */
export function dateBound(text: string, flag: string): { start: string; end: string } {
  const bad = (why: string) => new MlmetaError('E_USAGE', `${flag} ${JSON.stringify(text)}: ${why}; use a date (2026, 2026-03, 2026-03-14), an ISO-8601 time, or @SECONDS`);
  const iso = (ms: number) => new Date(ms).toISOString();
  const ymd = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(text);
  if (ymd) {
    const [y, m, d] = [Number(ymd[1]), ymd[2] === undefined ? undefined : Number(ymd[2]) - 1, ymd[3] === undefined ? undefined : Number(ymd[3])];
    const start = Date.UTC(y, m ?? 0, d ?? 1);
    const at = new Date(start);
    // Date.UTC rolls 2026-02-30 over into March: refuse what does not exist.
    if ((m !== undefined && at.getUTCMonth() !== m) || (d !== undefined && at.getUTCDate() !== d)) throw bad('no such date');
    const end = d !== undefined ? Date.UTC(y, m!, d + 1) : m !== undefined ? Date.UTC(y, m + 1, 1) : Date.UTC(y + 1, 0, 1);
    return { start: iso(start), end: iso(end) };
  }
  const seconds = /^@(\d+)$/.exec(text) ?? /^(\d{9,})$/.exec(text);
  if (seconds) {
    const ms = Number(seconds[1]) * 1000;
    if (!Number.isSafeInteger(ms) || ms > 8.64e15) throw bad('out of range');
    return { start: iso(ms), end: iso(ms + 1000) };
  }
  if (/^\d+$/.test(text)) throw bad('a number that is neither a year nor seconds (seconds need @ or 9+ digits)');
  // A time of day: ISO-8601 with a date part (Date.parse alone accepts "March 7" and more).
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text)) throw bad('not a date');
  // No zone given: UTC, like the records (JavaScript would take local time).
  const ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`);
  if (Number.isNaN(ms)) throw bad('not a date');
  return { start: iso(ms), end: iso(ms + 1) };
}

// Dates typed by people (`find --since`, `record --date`): one reading for every flag.
import { MlmetaError } from '../errors.js';

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

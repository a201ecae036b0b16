// What the index keeps of each record (rows.ts stores it as JSON in records.summary).
import type { RecordBody } from '../records/record.js';

/**
 * What the index keeps of a record: every field but bulky ones (the message, the
 * environment, the command line, metric points, a manifest's file list — its hashes and paths are in the
 * index's `hashes` table), plus the message cut to at most 500 characters, `$message`, for `log`.
 */
export type Summary = RecordBody & { $message?: string };

export function summarise(r: RecordBody): Summary {
  const { files: _f, message: _m, env: _e, command: _c, points: _p, history, ...rest } = r;
  const summary: Summary = rest as RecordBody;
  // A curve's points (a series object's, or a record's inline ones) stay in the object: up to
  // megabytes each, read only by `show --history` and charts, which read the object.
  if (typeof history === 'object' && history !== null && !Array.isArray(history)) {
    summary.history = Object.fromEntries(Object.entries(history).map(([k, v]) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return [k, v];
      const { points: _q, ...h } = v as Record<string, unknown>;
      return [k, h];
    }));
  }
  if (typeof r.message === 'string' && r.message !== '') summary.$message = r.message.slice(0, 500);
  return summary;
}

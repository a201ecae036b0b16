// What the index keeps of each record (rows.ts stores it as JSON in records.summary).
import type { RecordBody } from '../records/record.js';

/**
 * What the index keeps of a record: every field but bulky ones (the message, the
 * environment, the command line, a manifest's file list — its hashes and paths are in the
 * index's `hashes` table — and a series' points), plus the message cut to at most 500
 * characters, `$message`, for `log`.
 */
export type Summary = RecordBody & { $message?: string };

export function summarise(r: RecordBody): Summary {
  const { files: _f, message: _m, env: _e, command: _c, ...rest } = r;
  const summary: Summary = rest as RecordBody;
  // a series' points are its bulk (records/history.ts); find and log never show them
  if (r.kind === 'series') delete summary.points;
  if (typeof r.message === 'string' && r.message !== '') summary.$message = r.message.slice(0, 500);
  return summary;
}

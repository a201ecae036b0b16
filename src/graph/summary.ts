// What the index keeps of each record (see index-cache.ts).
import type { RecordBody } from '../records/record.js';

/**
 * What the index keeps of a record: every field but bulky ones (the message, the
 * environment, the command line; a manifest's file list is cut to its hashes, `$files`; the
 * message to at most 500 characters, `$message`, for `log`).
 */
export type Summary = RecordBody & { $files?: string[]; $message?: string };

export function summarise(r: RecordBody): Summary {
  const { files, message: _m, env: _e, command: _c, ...rest } = r;
  const summary: Summary = rest as RecordBody;
  if (typeof r.message === 'string' && r.message !== '') summary.$message = r.message.slice(0, 500);
  if (r.kind === 'manifest' && Array.isArray(files)) {
    summary.$files = files.map((f) => (f as { sha256?: unknown }).sha256).filter((h): h is string => typeof h === 'string');
  }
  return summary;
}

export type FanSummaries = Record<string, Summary | string>;

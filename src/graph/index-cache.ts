// The derived index: one summary per record, kept in `.mlmeta/cache/index.json` and
// brought up to date on every open. Staleness is detected per fan-out folder from its
// mtime (adding or removing a file changes it, whoever does it: mlmeta, git checkout,
// git pull, cp). A folder whose mtime is within RACY_MS of the clock when it was read is
// not trusted next time (a write in the same clock tick would not move the mtime; git
// calls this "racily clean"), so it is listed again. Only new objects are parsed.
// The file can be deleted at any time; it is rebuilt.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { listFanout, listIdsIn, readObject } from '../store/objects.js';
import type { StoreLayout } from '../store/location.js';
import { parseRecordBytes, type RecordBody } from '../records/record.js';

const INDEX_VERSION = 3;
const RACY_MS = 3000n;

/**
 * What the index keeps of a record: every field but bulky ones (the message; a manifest's
 * file list is cut down to its content hashes, `$files`, for `which`).
 */
export type Summary = RecordBody & { $files?: string[] };

interface FanEntry {
  /** mtime of the folder when listed, in ns; "" when racy */
  m: string;
  /** id suffix (62 hex) → summary, or a string: the error that made it unreadable */
  r: Record<string, Summary | string>;
}

interface IndexFile {
  v: number;
  fans: Record<string, FanEntry>;
}

export interface IndexSnapshot {
  summaries: Map<string, Summary>;
  /** objects whose name matches but which cannot be read as records: id → reason */
  broken: Map<string, string>;
}

export function summarise(r: RecordBody): Summary {
  const { files, message: _message, ...rest } = r;
  const summary: Summary = rest as RecordBody;
  if (r.kind === 'manifest' && Array.isArray(files)) {
    summary.$files = files.map((f) => (f as { sha256?: unknown }).sha256).filter((h): h is string => typeof h === 'string');
  }
  return summary;
}

function readIndexFile(file: string): IndexFile {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as IndexFile;
    if (data && data.v === INDEX_VERSION && typeof data.fans === 'object') return data;
  } catch {
    /* missing or damaged: rebuild */
  }
  return { v: INDEX_VERSION, fans: {} };
}

function writeIndexFile(cacheDir: string, file: string, data: IndexFile): void {
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data));
    fs.renameSync(tmp, file);
  } catch {
    // The index is only a cache: a read-only store or full disk must not fail a read command.
  }
}

function loadFan(layout: StoreLayout, fan: string, ids: string[], old: FanEntry | undefined): FanEntry['r'] {
  const r: FanEntry['r'] = {};
  for (const id of ids) {
    const key = id.slice(2);
    const known = old?.r[key];
    if (known !== undefined && typeof known !== 'string') {
      r[key] = known;
      continue;
    }
    try {
      r[key] = summarise(parseRecordBytes(readObject(layout.objects, id), id));
    } catch (e) {
      r[key] = (e as Error).message;
    }
  }
  return r;
}

/** Bring the index up to date with the objects on disk and return it. */
export function refreshIndex(layout: StoreLayout): IndexSnapshot {
  const file = path.join(layout.cache, 'index.json');
  const data = readIndexFile(file);
  let changed = false;
  const fans = listFanout(layout.objects);
  const present = new Set(fans);
  for (const fan of Object.keys(data.fans)) {
    if (!present.has(fan)) {
      delete data.fans[fan];
      changed = true;
    }
  }
  for (const fan of fans) {
    const dir = path.join(layout.objects, fan);
    let st: fs.BigIntStats;
    try {
      st = fs.statSync(dir, { bigint: true });
    } catch {
      continue;
    }
    const old = data.fans[fan];
    const mtime = String(st.mtimeNs);
    if (old && old.m !== '' && old.m === mtime) continue;
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const racy = nowNs - st.mtimeNs < RACY_MS * 1_000_000n;
    const ids = listIdsIn(layout.objects, fan);
    data.fans[fan] = { m: racy ? '' : mtime, r: loadFan(layout, fan, ids, old) };
    changed = true;
  }
  if (changed) writeIndexFile(layout.cache, file, data);

  const summaries = new Map<string, Summary>();
  const broken = new Map<string, string>();
  for (const [fan, entry] of Object.entries(data.fans)) {
    for (const [rest, s] of Object.entries(entry.r)) {
      if (typeof s === 'string') broken.set(fan + rest, s);
      else summaries.set(fan + rest, s);
    }
  }
  return { summaries, broken };
}

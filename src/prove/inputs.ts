// The files a dataset's manifest lists, and whether they are still those bytes in a folder:
// audit checks the work tree, reproduce the work tree or a `--data-from` folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathBytes, type FileEntry } from '../capture/data-files.js';
import { hashFile } from '../capture/hash-file.js';
import type { StatCache } from '../capture/stat-cache.js';
import type { Store } from '../api/store.js';

export interface DatasetFiles {
  id: string;
  label: string;
  files: FileEntry[];
}

/** A dataset's manifest files (none when it has no manifest, e.g. a dataset recorded by ref). */
export function datasetFiles(store: Store, id: string): DatasetFiles {
  const rec = store.read(id);
  const label = `${rec.name ?? 'dataset'}${rec.version ? `@${rec.version}` : ''}`;
  const manifest = (rec.parents ?? []).find((p) => p.role === 'manifest');
  if (!manifest) return { id, label, files: [] };
  const files = store.read(manifest.id).files;
  const ok = Array.isArray(files) ? (files as unknown[]).filter((f): f is FileEntry => {
    const e = f as FileEntry;
    return typeof e?.path === 'string' && typeof e.sha256 === 'string' && typeof e.size === 'number';
  }) : [];
  return { id, label, files: ok };
}

/** Where a recorded file lives under `base` (an absolute recorded path stays as it is). */
export function fileUnder(base: string, f: FileEntry): Buffer {
  const rel = pathBytes(f);
  if (rel[0] === 0x2f) return rel;
  return Buffer.concat([Buffer.from(base + path.sep), rel]);
}

/** A recorded path must stay inside the folder it is placed in (records are untrusted input). */
export function safeRelative(f: FileEntry): boolean {
  const p = pathBytes(f).toString('latin1');
  return !p.startsWith('/') && !p.split('/').some((s) => s === '..' || s === '');
}

export type FileState = 'ok' | 'missing' | 'changed';

/** The hash of a file now, through the stat cache; undefined when it is not a readable regular file. */
export function currentHash(abs: Buffer, cache?: StatCache): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return undefined;
  const known = cache?.get(abs.toString('utf8'), st);
  if (known) return known;
  try {
    const t = Date.now();
    const h = hashFile(abs, abs.toString('utf8'));
    cache?.set(abs.toString('utf8'), h.stat, h.sha256, t);
    return h.sha256;
  } catch {
    return undefined;
  }
}

export function fileState(base: string, f: FileEntry, cache?: StatCache): FileState {
  const h = currentHash(fileUnder(base, f), cache);
  return h === undefined ? 'missing' : h === f.sha256 ? 'ok' : 'changed';
}

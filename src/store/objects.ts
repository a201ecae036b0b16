// The object database: `objects/<2 hex>/<62 hex>.yaml`, named by the SHA-256 of the bytes.
// Writes follow git's loose-object discipline (object-file.c): temp file in the same
// fan-out folder, fsync, chmod read-only, rename; an existing object is compared, never
// overwritten. Reads re-hash and refuse a mismatch. Only names matching OBJECT_FILE are
// objects; anything else in objects/ (temp leftovers, stray files) is ignored here and
// reported by verify.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError, ioError } from '../errors.js';

export const FULL_ID = /^[0-9a-f]{64}$/;
export const FANOUT_DIR = /^[0-9a-f]{2}$/;
export const OBJECT_FILE = /^[0-9a-f]{62}\.yaml$/;
/** Temp files start with a dot and never end in .yaml, so they can never look like objects. */
export const TEMP_PREFIX = '.tmp-';

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function objectPath(objectsDir: string, id: string): string {
  if (!FULL_ID.test(id)) throw new MlmetaError('E_BAD_REF', `not a full record id: ${JSON.stringify(id)}`);
  return path.join(objectsDir, id.slice(0, 2), `${id.slice(2)}.yaml`);
}

export interface WriteResult {
  id: string;
  /** false when an identical object was already present */
  created: boolean;
}

/** Write bytes as an object. Idempotent: an existing object with the same id is compared. */
export function writeObject(objectsDir: string, bytes: Buffer): WriteResult {
  const id = sha256Hex(bytes);
  const file = objectPath(objectsDir, id);
  const dir = path.dirname(file);
  if (existsSameObject(file, id)) return { id, created: false };
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw ioError(e, `cannot create ${dir}`);
  }
  const tmp = path.join(dir, `${TEMP_PREFIX}${id.slice(2, 10)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o444);
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    // Re-read what reached the disk before it takes the object's name.
    if (sha256Hex(fs.readFileSync(tmp)) !== id) throw new Error('written bytes do not hash to the id');
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already failing */ }
    try { fs.unlinkSync(tmp); } catch { /* nothing to clean */ }
    throw ioError(e, `cannot write object ${id}`);
  }
  return { id, created: true };
}

/**
 * True when the object file exists with the right content. A present but damaged file
 * (e.g. truncated by a crash in another tool) is replaced: the id says what it must hold.
 */
function existsSameObject(file: string, id: string): boolean {
  let existing: Buffer;
  try {
    existing = fs.readFileSync(file);
  } catch {
    return false;
  }
  if (sha256Hex(existing) === id) return true;
  try {
    fs.chmodSync(file, 0o644);
    fs.unlinkSync(file);
  } catch (e) {
    throw ioError(e, `cannot replace damaged object ${id}`);
  }
  return false;
}

/** Read an object's bytes and check them against the id. */
export function readObject(objectsDir: string, id: string): Buffer {
  const file = objectPath(objectsDir, id);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MlmetaError('E_NOT_FOUND', `no record ${id}`, { id });
    }
    throw ioError(e, `cannot read object ${id}`);
  }
  const actual = sha256Hex(bytes);
  if (actual !== id) {
    throw new MlmetaError('E_CORRUPT_OBJECT', `object ${id} is corrupt: its bytes hash to ${actual}`, { id, actual });
  }
  return bytes;
}

export function hasObject(objectsDir: string, id: string): boolean {
  return FULL_ID.test(id) && fs.existsSync(objectPath(objectsDir, id));
}

/** The fan-out folders present, sorted. */
export function listFanout(objectsDir: string): string[] {
  try {
    return fs.readdirSync(objectsDir).filter((d) => FANOUT_DIR.test(d)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError(e, `cannot list ${objectsDir}`);
  }
}

/** Ids of the objects in one fan-out folder (names that match the object form only). */
export function listIdsIn(objectsDir: string, fan: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(objectsDir, fan));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw ioError(e, `cannot list ${fan}`);
  }
  const ids: string[] = [];
  for (const n of names) if (OBJECT_FILE.test(n)) ids.push(fan + n.slice(0, 62));
  return ids.sort();
}

export function listAllIds(objectsDir: string): string[] {
  const out: string[] = [];
  for (const fan of listFanout(objectsDir)) out.push(...listIdsIn(objectsDir, fan));
  return out;
}

/**
 * Ids starting with a hex prefix (4–64 digits). Reads only the one fan-out folder the
 * prefix selects, so the cost does not grow with the store.
 */
export function idsWithPrefix(objectsDir: string, prefix: string): string[] {
  const p = prefix.toLowerCase();
  if (!/^[0-9a-f]{4,64}$/.test(p)) throw new MlmetaError('E_BAD_REF', `not a hex prefix: ${JSON.stringify(prefix)}`);
  if (p.length === 64) return hasObject(objectsDir, p) ? [p] : [];
  return listIdsIn(objectsDir, p.slice(0, 2)).filter((id) => id.startsWith(p));
}

/**
 * Write many objects whose bytes were already checked against their ids (a pull): temp
 * file and rename each, then one `sync -f` of the file system instead of an fsync per file
 * (100k fsyncs take minutes). A crash before the sync can leave an object with the right
 * name but lost bytes; readers refuse it by its hash, and writing it again repairs it.
 */
export function writeObjectsBulk(objectsDir: string, objects: Array<{ id: string; bytes: Buffer }>): number {
  let written = 0;
  const made = new Set<string>();
  for (const { id, bytes } of objects) {
    const file = objectPath(objectsDir, id);
    if (existsSameObject(file, id)) continue;
    const dir = path.dirname(file);
    const tmp = path.join(dir, `${TEMP_PREFIX}${id.slice(2, 10)}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      if (!made.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      fs.writeFileSync(tmp, bytes, { mode: 0o444, flag: 'wx' });
      fs.renameSync(tmp, file);
    } catch (e) {
      try { fs.unlinkSync(tmp); } catch { /* nothing to clean */ }
      throw ioError(e, `cannot write object ${id}`);
    }
    written++;
  }
  if (written > 0) syncFileSystem(objectsDir);
  return written;
}

function syncFileSystem(dir: string): void {
  const r = spawnSync('sync', ['-f', dir], { stdio: 'ignore' });
  if (r.status === 0) return;
  // No coreutils `sync -f`: fall back to fsync of every folder (entries) — file data was
  // written by the kernel already; this at least orders the renames.
  for (const fan of listFanout(dir)) {
    const fd = fs.openSync(path.join(dir, fan), 'r');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  }
}

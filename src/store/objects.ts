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

/**
 * Read a file in the store without following a symlink: an object name can never be made
 * to address a file outside `.mlmeta/objects` (ELOOP for a planted link).
 */
export function readNoFollow(file: string): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Create a fan-out folder (objects/ exists in any store; a recursive mkdir would hide EROFS as ENOENT). */
function makeFanDir(dir: string): void {
  try {
    if (!fs.existsSync(path.dirname(dir))) fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(e, `cannot create ${dir}`);
  }
}

/** A fan-out folder must be a real folder, not a symlink out of the store. */
function checkFanDir(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return; // not there yet: mkdir makes a real one
  }
  if (!st.isDirectory()) throw new MlmetaError('E_IO', `${dir} is not a folder (a symlink or file planted in the store?)`);
}

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
  checkFanDir(dir);
  if (existsSameObject(file, id)) return { id, created: false };
  makeFanDir(dir);
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
  // The next write cleans up after writers that died in this folder.
  cleanTempFiles(objectsDir, [id.slice(0, 2)]);
  return { id, created: true };
}

/**
 * True when the object file exists with the right content. A present but damaged file
 * (e.g. truncated by a crash in another tool) is replaced: the id says what it must hold.
 */
function existsSameObject(file: string, id: string): boolean {
  let existing: Buffer;
  try {
    existing = readNoFollow(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    existing = Buffer.alloc(0); // a symlink or unreadable entry: replace it below
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
    bytes = readNoFollow(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new MlmetaError('E_CORRUPT_OBJECT', `object ${id} is a symlink; refused`, { id });
    }
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
    return fs.readdirSync(objectsDir, { withFileTypes: true }).filter((d) => d.isDirectory() && FANOUT_DIR.test(d.name)).map((d) => d.name).sort();
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
    const dir = path.dirname(file);
    checkFanDir(dir);
    if (existsSameObject(file, id)) continue;
    const tmp = path.join(dir, `${TEMP_PREFIX}${id.slice(2, 10)}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      if (!made.has(dir)) {
        makeFanDir(dir);
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

/**
 * Temp files left by writers that died (a crash, SIGKILL): `.tmp-…-<pid>-…` whose process
 * is gone, or any temp file older than an hour. Live writers' temp files are left alone.
 */
export function staleTempFiles(objectsDir: string, fans: string[] = listFanout(objectsDir)): string[] {
  const out: string[] = [];
  for (const fan of fans) {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(objectsDir, fan));
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.startsWith(TEMP_PREFIX)) continue;
      const file = path.join(objectsDir, fan, n);
      const pid = Number(n.split('-')[2]);
      let alive = false;
      if (Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 0);
          alive = true;
        } catch (e) {
          alive = (e as NodeJS.ErrnoException).code === 'EPERM';
        }
      }
      let old = false;
      try {
        old = Date.now() - fs.lstatSync(file).mtimeMs > 3600_000;
      } catch {
        continue;
      }
      if (!alive || old) out.push(`${fan}/${n}`);
    }
  }
  return out;
}

/** Remove stale temp files; returns what was removed (paths relative to objects/). */
export function cleanTempFiles(objectsDir: string, fans?: string[]): string[] {
  const removed: string[] = [];
  for (const rel of staleTempFiles(objectsDir, fans)) {
    try {
      fs.unlinkSync(path.join(objectsDir, rel));
      removed.push(rel);
    } catch {
      /* gone already, or not ours to remove */
    }
  }
  return removed;
}

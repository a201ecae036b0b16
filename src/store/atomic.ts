// The one way mlmeta writes a file it owns (objects, caches, refs): a temp file created
// with O_EXCL in the target's own folder (O_EXCL|O_CREAT never follows a symlink), written,
// optionally fsynced, renamed over the target (rename replaces a planted link rather than
// writing through it), and optionally the folder fsynced so the rename survives a crash.
// The folder itself must be a real folder: a symlinked folder is refused, never written into.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError, ioError } from '../errors.js';
import { writerTag } from './writer.js';

/** Temp files start with a dot and never end in .yaml, so they can never look like objects. */
export const TEMP_PREFIX = '.tmp-';

export interface AtomicOptions {
  /** file mode of the result (default 0o644) */
  mode?: number;
  /** fsync the file before the rename and the folder after it (default true) */
  durable?: boolean;
  /** a short tag put in the temp name (e.g. part of an object id), for humans */
  tag?: string;
  /** re-read the temp file and check it before it takes the name */
  check?: (written: Buffer) => boolean;
}

// The last part of a temp name: random once per process, then counted up (O_EXCL settles
// any clash; a random draw per file was ~15 µs of a 20k-object pull's file creation).
let tempSeed: number | undefined;
let tempCount = 0;

/** A temp-file name in `dir` that says who wrote it (see writer.ts), never a live object's name. */
export function tempName(dir: string, tag = 'w'): string {
  tempSeed ??= randomBytes(4).readUInt32BE(0);
  const n = ((tempSeed + tempCount++) >>> 0).toString(16).padStart(8, '0');
  return path.join(dir, `${TEMP_PREFIX}${tag}-${writerTag()}-${process.pid}-${n}`);
}

/** Refuse a folder that is a symlink or not a folder (lstat: never followed). */
export function assertRealDir(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    throw ioError(e, `cannot use ${dir}`);
  }
  if (!st.isDirectory()) throw new MlmetaError('E_IO', `${dir} is not a real folder (a symlink or file planted in the store?); refused`);
}

/**
 * Derived folders (the cache and what is in it) are never committed, but a collaborator can
 * force-commit a link or file in their place (`git add -f`), and every write would then land
 * wherever it points. Such an entry is removed — the entry itself, never its target — so a
 * real folder can be made there. Nothing happens when `dir` is a real folder or absent.
 */
export function removePlantedEntry(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return;
  }
  if (st.isDirectory()) return;
  try {
    fs.unlinkSync(dir);
  } catch (e) {
    throw ioError(e, `${dir} is not a real folder (a link planted in the store?) and cannot be removed`);
  }
}

/** fsync a folder so a rename or create in it is on disk. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse a directory fsync (EINVAL); the data itself was synced.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Write `data` to `file` atomically (see the header). Throws E_IO. */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicOptions = {}): void {
  const dir = path.dirname(file);
  assertRealDir(dir);
  const durable = opts.durable ?? true;
  const tmp = tempName(dir, opts.tag);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, opts.mode ?? 0o644);
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    if (durable) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    if (opts.check && !opts.check(readNoFollow(tmp))) throw new Error('the bytes read back differ from those written');
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already failing */ }
    try { fs.unlinkSync(tmp); } catch { /* nothing to clean */ }
    throw e instanceof MlmetaError ? e : ioError(e, `cannot write ${file}`);
  }
  if (durable) fsyncDir(dir);
}

/** The same for a derived cache file: failures are ignored (a cache may be read-only or gone). */
export function writeCacheFile(file: string, data: string | Uint8Array): boolean {
  try {
    writeFileAtomic(file, data, { durable: false });
    return true;
  } catch {
    return false;
  }
}

/**
 * Read a file without following a symlink: a name can never be made to address a file
 * outside the store (ELOOP for a planted link). Only a regular file is read: a FIFO or
 * device planted at the name would block or never end (code ENOTREG).
 */
export function readNoFollow(file: string, maxBytes = Infinity): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'ENOTREG' });
    // (a file that grows or shrinks after the fstat is read as far as that size: the caller's hash check refuses it)
    if (st.size > maxBytes) throw Object.assign(new Error(`${file} is larger than ${maxBytes} bytes`), { code: 'EFBIG', size: st.size });
    // read the size just taken, not readFileSync(fd): that stats the file a second time, and a
    // cold index build reads 10^5–10^6 objects (~10 µs a system call on this VM)
    const bytes = Buffer.allocUnsafe(st.size);
    let got = 0;
    for (let r = 1; got < st.size && r > 0; got += r) r = fs.readSync(fd, bytes, got, st.size - got, null);
    return got === st.size ? bytes : bytes.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

// Streaming SHA-256 of one file: fixed 1 MiB buffer, synchronous reads (faster than
// streams for this; measured against `openssl dgst -sha256` in `npm run bench`).
//
// Only regular files are hashed (a symlink is followed to one): a FIFO or /dev/zero would
// block or never end. The file is opened with O_NONBLOCK so that opening a FIFO cannot
// hang before fstat refuses it (the flag changes nothing for a regular file's reads).
// A file that changes while it is read (fstat before and after differ, or the bytes read
// are not the size it had) is read again, a few times, then refused: the size and hash
// recorded must describe the same bytes.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { ioError, MlmetaError } from '../errors.js';

const CHUNK = 1024 * 1024;
const ATTEMPTS = 3;
let shared: Buffer | undefined;

export interface FileHash {
  sha256: string;
  /** the number of bytes hashed */
  size: number;
  /** the file's stat while it was read (unchanged from the first to the last byte) */
  stat: fs.Stats;
}

function same(a: fs.Stats, b: fs.Stats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino && a.dev === b.dev;
}

/** Open for reading without blocking on a FIFO; undefined for anything but a regular file. */
function openRegular(file: fs.PathLike, shown: string): { fd: number; stat: fs.Stats } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new MlmetaError('E_NOT_FOUND', `no such file: ${shown}`);
    throw ioError(e, `cannot read ${shown}`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isFile()) return { fd, stat };
  } catch (e) {
    fs.closeSync(fd);
    throw ioError(e, `cannot read ${shown}`);
  }
  fs.closeSync(fd);
  return undefined;
}

/**
 * Hash `file` (a path, or its bytes as a Buffer for names that are not UTF-8); `shown` names
 * it in errors.
 */
export function hashFile(file: fs.PathLike, shown = String(file)): FileHash {
  const h = hashRegular(file, shown);
  if (!h) throw new MlmetaError('E_BAD_INPUT', `not a regular file: ${shown}`);
  return h;
}

/** hashFile, but undefined when `file` is not a regular file (a folder walk skips those). */
export function hashRegular(file: fs.PathLike, shown = String(file)): FileHash | undefined {
  const buf = (shared ??= Buffer.allocUnsafe(CHUNK));
  for (let attempt = 1; ; attempt++) {
    const opened = openRegular(file, shown);
    if (!opened) return undefined;
    const { fd, stat } = opened;
    const h = createHash('sha256');
    let size = 0;
    let after: fs.Stats;
    try {
      for (;;) {
        const n = fs.readSync(fd, buf, 0, CHUNK, null);
        if (n === 0) break;
        h.update(n === CHUNK ? buf : buf.subarray(0, n));
        size += n;
        // A short read that reached the size fstat gave is the end (one system call fewer per
        // small file); a file that grew meanwhile has another size in the fstat below.
        if (n < CHUNK && size >= stat.size) break;
      }
      after = fs.fstatSync(fd);
    } catch (e) {
      throw ioError(e, `cannot read ${shown}`);
    } finally {
      fs.closeSync(fd);
    }
    if (size === stat.size && same(stat, after)) return { sha256: h.digest('hex'), size, stat };
    if (attempt === ATTEMPTS) {
      throw new MlmetaError('E_IO', `file changed while it was read, ${ATTEMPTS} times: ${shown} (record it when nothing writes to it)`);
    }
  }
}

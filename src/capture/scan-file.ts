// What a folder walk does with each file it listed, the same on a hashing thread and on the
// calling thread: stat it (following a symlink) when that can spare the read — the stat
// cache knows it — or when it is a symlink (a symlinked folder is skipped, a broken one
// refused); skip what is not a regular file; answer from the stat cache when the stat still
// matches; otherwise hash it, noting a moment before the read for the cache's racy rule.
//
// A file the listing called regular and the cache does not know is not stat'ed at all: the
// hash's own fstat gives its stat (a 100k-file first hash spares 100k system calls).
import * as fs from 'node:fs';
import { ioError, MlmetaError } from '../errors.js';
import { hashRegular } from './hash-file.js';

/** What the stat cache keeps of a file's stat. */
export interface StatLike {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export const HIT = 0;
export const HASHED = 1;
export const SKIP = 2;
/** Only from a hashing thread: something went wrong; the calling thread does it again, to raise the error by name. */
export const FAIL = 3;

export type Scanned =
  | { code: typeof HIT | typeof SKIP | typeof FAIL }
  | { code: typeof HASHED; sha256: string; size: number; stat: StatLike; hashedAt: number };

export interface ScanInput {
  /** absolute path (bytes when not UTF-8) */
  abs: string | Buffer;
  /** the listing said symlink (or the input was one) */
  link: boolean;
  /** the stat cache's entry, if it has one */
  expected: StatLike | undefined;
}

export const sameStat = (a: StatLike, b: StatLike): boolean => a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;

/** stat, following a symlink; `shown` (its name in messages) is computed only for an error. */
export function statInput(abs: fs.PathLike, shown: () => string): fs.Stats {
  try {
    return fs.statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const isLink = (() => { try { return fs.lstatSync(abs).isSymbolicLink(); } catch { return false; } })();
      throw new MlmetaError('E_NOT_FOUND', isLink ? `broken symlink: ${shown()}` : `no such file or folder: ${shown()}`);
    }
    throw ioError(e, `cannot read ${shown()}`);
  }
}

/**
 * One listed file. With `shown` (the calling thread) errors are raised, naming the file;
 * without (a hashing thread) any error gives FAIL.
 */
export function scanFile(f: ScanInput, shown?: () => string): Scanned {
  try {
    if (f.link || f.expected) {
      const st = shown ? statInput(f.abs, shown) : fs.statSync(f.abs);
      if (!st.isFile()) return { code: SKIP }; // a symlinked folder is not followed
      if (f.expected && sameStat(f.expected, st)) return { code: HIT };
    }
    const hashedAt = Date.now();
    const h = hashRegular(f.abs, shown?.());
    // Not a regular file any more (replaced since the listing): skipped, as a walk that
    // stat'ed it then would have.
    if (!h) return { code: SKIP };
    const { size, mtimeMs, ctimeMs, ino } = h.stat;
    return { code: HASHED, sha256: h.sha256, size: h.size, stat: { size, mtimeMs, ctimeMs, ino }, hashedAt };
  } catch (e) {
    if (!shown) return { code: FAIL };
    // Gone since the listing: the walk's own words (`no such file or folder`, `broken symlink`).
    if (e instanceof MlmetaError && e.code === 'E_NOT_FOUND') statInput(f.abs, shown);
    throw e;
  }
}

// Stat cache for hashed data: (path, size, mtime, ctime, inode) → sha256, in
// `.mlmeta/cache/hashes.bin`, so re-checking unchanged data does not re-read it. An entry
// is only trusted if the file's mtime was at least RACY_MS older than the moment it was
// hashed (a write in the same clock tick would not change the mtime; git's "racy" rule).
//
// The file is binary and laid out in columns so that 100k entries load in a few tens of
// milliseconds: every path is in one UTF-8 block decoded with one call and cut by lengths
// (a decode per path was most of the load), and an entry's numbers and hash are read only
// when asked for. Layout, little-endian:
//   the magic `mlmeta-stat-cache-3\n`, u32 count, u32 byte length of the path block,
//   count × 4 f64 (size, mtimeMs, ctimeMs, ino), count × 32 bytes sha256,
//   count × u32 path length in UTF-16 units, the path block (UTF-8).
// A file that does not parse exactly to its end is ignored whole (a cache starts empty
// again); so is the older row-per-entry format (its hashes are computed again, once).
// Nothing is read until an entry is asked for, nothing is written when nothing changed: a
// re-check whose files all match is answered by the hashing threads, each reading the file
// itself (hash-pool.ts), and the calling thread never loads it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNoFollow, writeCacheFile } from '../store/atomic.js';
import { RACY_MS } from '../store/racy.js';
import type { StatLike } from './scan-file.js';

const MAGIC = Buffer.from('mlmeta-stat-cache-3\n');
const FILE = 'hashes.bin';
/** The JSON cache of earlier versions: removed when the new one is written. */
const OLD_FILE = 'hashes.json';
const HEAD = MAGIC.length + 8;
const NUMBERS = 4 * 8;
const SHA = 32;
const HEX = /^[0-9a-f]{64}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

type Entry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, sha256: string];

export class StatCache {
  /** what was loaded: path → its entry's number */
  private readonly at = new Map<string, number>();
  private loaded: Buffer = Buffer.alloc(0);
  private count = 0;
  /** entries set (or dropped: undefined) since the load */
  private readonly changed = new Map<string, Entry | undefined>();
  /** the cache's file; undefined: a cache that remembers nothing */
  readonly file: string | undefined;
  private read = false;

  /**
   * `cacheDir` undefined: a cache that remembers nothing (no store yet). `file`: the file of
   * another instance (a hashing thread reads the calling thread's).
   */
  constructor(cacheDir: string | undefined, file = cacheDir ? path.join(cacheDir, FILE) : undefined) {
    this.file = file;
  }

  private ensureRead(): void {
    if (this.read) return;
    this.read = true;
    if (!this.file) return;
    try {
      this.load(readNoFollow(this.file));
    } catch {
      /* missing or damaged: start empty */
      this.at.clear();
      this.count = 0;
    }
  }

  private load(buf: Buffer): void {
    if (buf.length < HEAD || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return;
    const count = buf.readUInt32LE(MAGIC.length);
    const textBytes = buf.readUInt32LE(MAGIC.length + 4);
    const lengths = HEAD + count * (NUMBERS + SHA);
    const textAt = lengths + 4 * count;
    if (textAt + textBytes !== buf.length) throw new Error('damaged');
    const text = buf.toString('utf8', textAt);
    let pos = 0;
    for (let i = 0; i < count; i++) {
      const len = buf.readUInt32LE(lengths + 4 * i);
      this.at.set(text.slice(pos, pos + len), i);
      pos += len;
    }
    if (pos !== text.length) throw new Error('damaged');
    this.loaded = buf;
    this.count = count;
  }

  private entry(abs: string): Entry | undefined {
    this.ensureRead();
    if (this.changed.has(abs)) return this.changed.get(abs);
    const i = this.at.get(abs);
    if (i === undefined) return undefined;
    const b = this.loaded;
    const o = HEAD + i * NUMBERS;
    const s = HEAD + this.count * NUMBERS + i * SHA;
    return [b.readDoubleLE(o), b.readDoubleLE(o + 8), b.readDoubleLE(o + 16), b.readDoubleLE(o + 24), b.toString('hex', s, s + SHA)];
  }

  /** The stat a path had when it was hashed, if the cache knows it. */
  stat(abs: string): StatLike | undefined {
    const e = this.entry(abs);
    return e && { size: e[0], mtimeMs: e[1], ctimeMs: e[2], ino: e[3] };
  }

  get(abs: string, st: StatLike): string | undefined {
    const e = this.entry(abs);
    if (!e) return undefined;
    return e[0] === st.size && e[1] === st.mtimeMs && e[2] === st.ctimeMs && e[3] === st.ino ? e[4] : undefined;
  }

  set(abs: string, st: StatLike, sha256: string, hashedAt: number): void {
    if (hashedAt - st.mtimeMs < RACY_MS) {
      if (this.entry(abs)) this.changed.set(abs, undefined);
      return;
    }
    this.changed.set(abs, [st.size, st.mtimeMs, st.ctimeMs, st.ino, sha256]);
  }

  save(): void {
    if (this.changed.size === 0 || !this.file) return;
    this.ensureRead();
    const keys: string[] = [];
    const kept: number[] = []; // loaded entries kept as they are
    for (const [abs, i] of this.at) {
      if (this.changed.has(abs)) continue;
      keys.push(abs);
      kept.push(i);
    }
    const fresh: Entry[] = [];
    for (const [abs, e] of this.changed) {
      // a path that is not well-formed UTF-16 would not come back from UTF-8 as it went in
      if (!e || !HEX.test(e[4]) || LONE_SURROGATE.test(abs)) continue;
      keys.push(abs);
      fresh.push(e);
    }
    const count = keys.length;
    const text = Buffer.from(keys.join(''), 'utf8');
    const out = Buffer.allocUnsafe(HEAD + count * (NUMBERS + SHA + 4) + text.length);
    MAGIC.copy(out, 0);
    out.writeUInt32LE(count, MAGIC.length);
    out.writeUInt32LE(text.length, MAGIC.length + 4);
    const shaAt = HEAD + count * NUMBERS;
    const lengths = shaAt + count * SHA;
    const old = this.loaded;
    const oldShaAt = HEAD + this.count * NUMBERS;
    kept.forEach((i, k) => {
      old.copy(out, HEAD + k * NUMBERS, HEAD + i * NUMBERS, HEAD + (i + 1) * NUMBERS);
      old.copy(out, shaAt + k * SHA, oldShaAt + i * SHA, oldShaAt + (i + 1) * SHA);
    });
    fresh.forEach((e, f) => {
      const k = kept.length + f;
      for (let n = 0; n < 4; n++) out.writeDoubleLE(e[n] as number, HEAD + k * NUMBERS + 8 * n);
      out.write(e[4], shaAt + k * SHA, 'hex');
    });
    keys.forEach((abs, k) => out.writeUInt32LE(abs.length, lengths + 4 * k));
    text.copy(out, lengths + 4 * count);
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      if (writeCacheFile(this.file, out)) {
        this.changed.clear();
        fs.rmSync(path.join(path.dirname(this.file), OLD_FILE), { force: true });
      }
    } catch {
      // Only a cache: a read-only store must not fail the command.
    }
  }
}

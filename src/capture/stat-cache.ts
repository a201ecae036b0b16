// Stat cache for hashed data: (path, size, mtime, ctime, inode) → sha256, in
// `.mlmeta/cache/hashes.bin`, so re-checking unchanged data does not re-read it. An entry
// is only trusted if the file's mtime was at least RACY_MS older than the moment it was
// hashed (a write in the same clock tick would not change the mtime; git's "racy" rule).
//
// The file is binary so that 100k entries load in a few milliseconds: loading only maps
// each path to where its entry starts; an entry's numbers and hash are decoded when asked
// for. Layout: the magic `mlmeta-stat-cache-2\n`, then per entry
//   u32 LE path length, the path (UTF-8), 4 × f64 LE (size, mtimeMs, ctimeMs, ino), 32 bytes sha256.
// A file that does not parse to its end is ignored whole (a cache starts empty again).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNoFollow, writeCacheFile } from '../store/atomic.js';
import { RACY_MS } from '../store/racy.js';
import type { StatLike } from './hash-pool.js';

const MAGIC = Buffer.from('mlmeta-stat-cache-2\n');
const FILE = 'hashes.bin';
/** The JSON cache of earlier versions: removed when the new one is written. */
const OLD_FILE = 'hashes.json';
const NUMBERS = 4 * 8;
const SHA = 32;

type Entry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, sha256: string];

export class StatCache {
  /** what was loaded: path → offset of its entry in `loaded` */
  private readonly at = new Map<string, number>();
  private loaded: Buffer = Buffer.alloc(0);
  /** entries set (or dropped: undefined) since the load */
  private readonly changed = new Map<string, Entry | undefined>();
  private readonly file: string | undefined;

  /** `cacheDir` undefined: a cache that remembers nothing (no store yet). */
  constructor(cacheDir: string | undefined) {
    this.file = cacheDir ? path.join(cacheDir, FILE) : undefined;
    if (!this.file) return;
    try {
      this.load(readNoFollow(this.file));
    } catch {
      /* missing or damaged: start empty */
      this.at.clear();
    }
  }

  private load(buf: Buffer): void {
    if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return;
    let i = MAGIC.length;
    while (i < buf.length) {
      if (i + 4 > buf.length) throw new Error('truncated');
      const len = buf.readUInt32LE(i);
      const end = i + 4 + len + NUMBERS + SHA;
      if (end > buf.length) throw new Error('truncated');
      this.at.set(buf.toString('utf8', i + 4, i + 4 + len), i);
      i = end;
    }
    this.loaded = buf;
  }

  private entry(abs: string): Entry | undefined {
    if (this.changed.has(abs)) return this.changed.get(abs);
    const start = this.at.get(abs);
    if (start === undefined) return undefined;
    const b = this.loaded;
    const o = start + 4 + b.readUInt32LE(start);
    return [b.readDoubleLE(o), b.readDoubleLE(o + 8), b.readDoubleLE(o + 16), b.readDoubleLE(o + 24), b.toString('hex', o + NUMBERS, o + NUMBERS + SHA)];
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
    const parts: Buffer[] = [MAGIC];
    // Loaded entries not changed are copied as they are.
    for (const [abs, start] of this.at) {
      if (this.changed.has(abs)) continue;
      parts.push(this.loaded.subarray(start, start + 4 + this.loaded.readUInt32LE(start) + NUMBERS + SHA));
    }
    for (const [abs, e] of this.changed) {
      if (!e || !/^[0-9a-f]{64}$/.test(e[4])) continue;
      const name = Buffer.from(abs, 'utf8');
      const b = Buffer.allocUnsafe(4 + name.length + NUMBERS + SHA);
      b.writeUInt32LE(name.length, 0);
      name.copy(b, 4);
      let o = 4 + name.length;
      for (let k = 0; k < 4; k++, o += 8) b.writeDoubleLE(e[k] as number, o);
      b.write(e[4], o, 'hex');
      parts.push(b);
    }
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      if (writeCacheFile(this.file, Buffer.concat(parts))) {
        this.changed.clear();
        fs.rmSync(path.join(path.dirname(this.file), OLD_FILE), { force: true });
      }
    } catch {
      // Only a cache: a read-only store must not fail the command.
    }
  }
}

// Stat cache for hashed data: (path, size, mtime, ctime, inode) → sha256, in
// `.mlmeta/cache/hashes.bin`, so re-checking unchanged data does not re-read it. An entry
// is only trusted if the file's mtime was at least RACY_MS older than the moment it was
// hashed (a write in the same clock tick would not change the mtime; git's "racy" rule).
//
// The file is binary and is its own index, so that opening it costs one read whatever its
// size (a Map of 100k paths took ~0.3 s to build, in each hashing thread): a hash table of
// the paths is stored with the entries, and an entry is decoded only when looked up.
// Layout, little-endian, every section in entry order:
//   the magic `mlmeta-stat-cache-3\n`, u32 count, u32 table slots (a power of 2, at least
//   twice the count), u32 byte length of the path block, u32 0;
//   count × 4 f64 (size, mtimeMs, ctimeMs, ino); count × 32 bytes sha256;
//   count × u32 path hash (hashKey); count × u32 path offset; count × u32 path byte length;
//   slots × u32 (entry number + 1, 0 for an empty slot; linear probing);
//   the path block (UTF-8).
// A file whose length is not exactly what its header says is ignored whole (unread: its
// header is read first), and so is the older format (its hashes are computed again, once).
// A path out of the block's bounds misses rather than throws. No entry sits more than
// MAX_PROBE slots from its home (save() grows the table until none does), so a lookup stops
// there: a planted table (every slot full, or one long run) costs 64 probes, not the table.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeCacheFile } from '../store/atomic.js';
import { RACY_MS } from '../store/racy.js';
import { sameStat, type StatLike } from './scan-file.js';

const MAGIC = Buffer.from('mlmeta-stat-cache-3\n');
const FILE = 'hashes.bin';
/** The JSON cache of earlier versions: removed when the new one is written. */
const OLD_FILE = 'hashes.json';
const HEAD = MAGIC.length + 16;
/** How far from its home slot an entry may sit; a lookup probes no further. */
const MAX_PROBE = 64;
const NUMBERS = 4 * 8;
const SHA = 32;
const HEX = /^[0-9a-f]{64}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

type Entry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, sha256: string];

/** FNV-1a over the path's UTF-16 code units. */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Where the sections of a file of `count` entries and `slots` slots start. */
function sections(count: number, slots: number) {
  const sha = HEAD + count * NUMBERS;
  const hashes = sha + count * SHA;
  const offsets = hashes + 4 * count;
  const lengths = offsets + 4 * count;
  const table = lengths + 4 * count;
  const text = table + 4 * slots;
  return { sha, hashes, offsets, lengths, table, text };
}

export class StatCache {
  /** what was loaded (empty: nothing) */
  private loaded: Buffer = Buffer.alloc(0);
  private count = 0;
  private slots = 0;
  private at = sections(0, 0);
  private scratch = Buffer.alloc(1024);
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

  /**
   * The cache file's bytes in memory the hashing threads share (read once for all: each
   * thread reading its own copy of a 100k-entry cache, 11 MB, cost ~60 ms of page faults
   * apiece on this VM); undefined when there is none to read.
   */
  static readShared(file: string | undefined): SharedArrayBuffer | undefined {
    if (!file) return undefined;
    try {
      const bytes = readSized(file, (n) => new Uint8Array(new SharedArrayBuffer(n)));
      return bytes.length ? (bytes.buffer as SharedArrayBuffer) : undefined;
    } catch {
      return undefined;
    }
  }

  /** A cache answering from bytes another thread read (readShared); it never writes. */
  static fromShared(shared: SharedArrayBuffer | undefined): StatCache {
    const c = new StatCache(undefined);
    c.read = true;
    if (shared) c.load(Buffer.from(shared));
    return c;
  }

  private ensureRead(): void {
    if (this.read) return;
    this.read = true;
    if (!this.file) return;
    try {
      this.load(readSized(this.file));
    } catch {
      /* missing or unreadable: start empty */
    }
  }

  private load(buf: Buffer): void {
    if (buf.length < HEAD || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return;
    const count = buf.readUInt32LE(MAGIC.length);
    const slots = buf.readUInt32LE(MAGIC.length + 4);
    const at = sections(count, slots);
    if (slots < 2 * count || (slots & (slots - 1)) !== 0 || at.text + buf.readUInt32LE(MAGIC.length + 8) !== buf.length) return;
    this.loaded = buf;
    this.count = count;
    this.slots = slots;
    this.at = at;
  }

  /** The loaded entry number of a path, or -1. */
  private find(key: string): number {
    if (this.slots === 0) return -1;
    const b = this.loaded;
    const h = hashKey(key);
    const mask = this.slots - 1;
    if (this.scratch.length < 3 * key.length) this.scratch = Buffer.alloc(3 * key.length);
    let n = -1;
    for (let probe = 0, slot = h & mask; probe <= MAX_PROBE && probe < this.slots; probe++, slot = (slot + 1) & mask) {
      const i = b.readUInt32LE(this.at.table + 4 * slot) - 1;
      if (i < 0 || i >= this.count) return -1;
      if (b.readUInt32LE(this.at.hashes + 4 * i) !== h) continue;
      const off = this.at.text + b.readUInt32LE(this.at.offsets + 4 * i);
      const len = b.readUInt32LE(this.at.lengths + 4 * i);
      if (off + len > b.length) continue;
      if (n < 0) n = this.scratch.write(key, 0, 'utf8');
      if (len === n && b.compare(this.scratch, 0, n, off, off + len) === 0) return i;
    }
    return -1;
  }

  private entry(abs: string): Entry | undefined {
    this.ensureRead();
    if (this.changed.has(abs)) return this.changed.get(abs);
    const i = this.find(abs);
    if (i < 0) return undefined;
    const b = this.loaded;
    const o = HEAD + i * NUMBERS;
    const s = this.at.sha + i * SHA;
    return [b.readDoubleLE(o), b.readDoubleLE(o + 8), b.readDoubleLE(o + 16), b.readDoubleLE(o + 24), b.toString('hex', s, s + SHA)];
  }

  /** What the cache knows of a path: the stat it had when it was hashed, and the hash. */
  known(abs: string): { stat: StatLike; sha256: string } | undefined {
    const e = this.entry(abs);
    return e && { stat: { size: e[0], mtimeMs: e[1], ctimeMs: e[2], ino: e[3] }, sha256: e[4] };
  }

  get(abs: string, st: StatLike): string | undefined {
    const e = this.entry(abs);
    return e && sameStat({ size: e[0], mtimeMs: e[1], ctimeMs: e[2], ino: e[3] }, st) ? e[4] : undefined;
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
    const old = this.loaded;
    const was = this.at;
    // loaded entries kept as they are: all but those set or dropped since
    const replaced = new Set<number>();
    for (const key of this.changed.keys()) {
      const i = this.find(key);
      if (i >= 0) replaced.add(i);
    }
    const kept: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const end = was.text + old.readUInt32LE(was.offsets + 4 * i) + old.readUInt32LE(was.lengths + 4 * i);
      if (!replaced.has(i) && end <= old.length) kept.push(i);
    }
    const fresh: Array<[string, Entry]> = [];
    for (const [key, e] of this.changed) {
      // a path that is not well-formed UTF-16 would not come back from UTF-8 as it went in
      if (e && HEX.test(e[4]) && !LONE_SURROGATE.test(key)) fresh.push([key, e]);
    }
    // the new paths as one block: one encoding call, not one per path
    const freshText = Buffer.from(fresh.map(([key]) => key).join(''), 'utf8');
    const freshLength = fresh.map(([key]) => Buffer.byteLength(key, 'utf8'));
    const count = kept.length + fresh.length;
    const homes = new Uint32Array(count);
    kept.forEach((i, k) => (homes[k] = old.readUInt32LE(was.hashes + 4 * i)));
    fresh.forEach(([key], f) => (homes[kept.length + f] = hashKey(key)));
    let slots = 16;
    while (slots < 2 * count) slots *= 2;
    let table: Uint32Array | undefined;
    while (!(table = tableOf(homes, slots))) slots *= 2;
    let textBytes = 0;
    for (const i of kept) textBytes += old.readUInt32LE(was.lengths + 4 * i);
    textBytes += freshText.length;
    const at = sections(count, slots);
    const out = Buffer.alloc(at.text + textBytes);
    MAGIC.copy(out, 0);
    out.writeUInt32LE(count, MAGIC.length);
    out.writeUInt32LE(slots, MAGIC.length + 4);
    out.writeUInt32LE(textBytes, MAGIC.length + 8);
    for (let slot = 0; slot < slots; slot++) out.writeUInt32LE(table[slot]!, at.table + 4 * slot);
    let text = 0;
    const place = (k: number, h: number, len: number) => {
      out.writeUInt32LE(h, at.hashes + 4 * k);
      out.writeUInt32LE(text, at.offsets + 4 * k);
      out.writeUInt32LE(len, at.lengths + 4 * k);
      text += len;
    };
    kept.forEach((i, k) => {
      old.copy(out, HEAD + k * NUMBERS, HEAD + i * NUMBERS, HEAD + (i + 1) * NUMBERS);
      old.copy(out, at.sha + k * SHA, was.sha + i * SHA, was.sha + (i + 1) * SHA);
      const off = was.text + old.readUInt32LE(was.offsets + 4 * i);
      const len = old.readUInt32LE(was.lengths + 4 * i);
      old.copy(out, at.text + text, off, off + len);
      place(k, old.readUInt32LE(was.hashes + 4 * i), len);
    });
    freshText.copy(out, at.text + text);
    fresh.forEach(([key, e], f) => {
      const k = kept.length + f;
      for (let n = 0; n < 4; n++) out.writeDoubleLE(e[n] as number, HEAD + k * NUMBERS + 8 * n);
      out.write(e[4], at.sha + k * SHA, 'hex');
      place(k, hashKey(key), freshLength[f]!);
    });
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      if (writeCacheFile(this.file, out)) {
        this.load(out);
        this.changed.clear();
        fs.rmSync(path.join(path.dirname(this.file), OLD_FILE), { force: true });
      }
    } catch {
      // Only a cache: a read-only store must not fail the command.
    }
  }
}

/** The slots of entries with these home hashes (entry number + 1), or undefined if one would sit more than MAX_PROBE from home. */
function tableOf(homes: Uint32Array, slots: number): Uint32Array | undefined {
  const table = new Uint32Array(slots);
  const mask = slots - 1;
  for (let k = 0; k < homes.length; k++) {
    let slot = homes[k]! & mask;
    for (let probe = 0; table[slot] !== 0; probe++, slot = (slot + 1) & mask) if (probe === MAX_PROBE) return undefined;
    table[slot] = k + 1;
  }
  return table;
}

/**
 * The cache file's bytes, read only if its length is what its header says (a garbage file is
 * not read whole), into memory from `alloc` (an empty array: none to read).
 */
function readSized(file: string, alloc: (n: number) => Uint8Array = (n) => Buffer.allocUnsafe(n)): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    const head = Buffer.alloc(HEAD);
    if (!st.isFile() || st.size < HEAD || fs.readSync(fd, head, 0, HEAD, 0) !== HEAD || !head.subarray(0, MAGIC.length).equals(MAGIC)) return Buffer.alloc(0);
    const at = sections(head.readUInt32LE(MAGIC.length), head.readUInt32LE(MAGIC.length + 4));
    if (at.text + head.readUInt32LE(MAGIC.length + 8) !== st.size) return Buffer.alloc(0);
    const out = alloc(st.size);
    let got = 0;
    for (let n; got < out.length && (n = fs.readSync(fd, out, got, out.length - got, got)) > 0; ) got += n;
    // shorter than its header said (truncated while being read): as if there were none
    return got === out.length ? Buffer.from(out.buffer, out.byteOffset, out.length) : Buffer.alloc(0);
  } finally {
    fs.closeSync(fd);
  }
}

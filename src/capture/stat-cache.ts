// Stat cache for hashed data: (path, size, mtime, ctime, inode) → sha256, in
// `.mlmeta/cache/hashes.json`, so re-checking unchanged data does not re-read it. An entry
// is only trusted if the file's mtime was at least RACY_MS older than the moment it was
// hashed (a write in the same clock tick would not change the mtime; git's "racy" rule).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNoFollow, writeCacheFile } from '../store/atomic.js';
import { RACY_MS } from '../store/racy.js';
import type { StatLike } from './hash-pool.js';

const VERSION = 1;

type Entry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, sha256: string];

export class StatCache {
  private entries: Record<string, Entry> = {};
  private dirty = false;
  private readonly file: string | undefined;

  /** `cacheDir` undefined: a cache that remembers nothing (no store yet). */
  constructor(cacheDir: string | undefined) {
    this.file = cacheDir ? path.join(cacheDir, 'hashes.json') : undefined;
    if (!this.file) return;
    try {
      const data = JSON.parse(readNoFollow(this.file).toString('utf8'));
      if (data?.v === VERSION && typeof data.e === 'object') this.entries = data.e;
    } catch {
      /* missing or damaged: start empty */
    }
  }

  get(abs: string, st: StatLike): string | undefined {
    const e = this.entries[abs];
    if (!e) return undefined;
    return e[0] === st.size && e[1] === st.mtimeMs && e[2] === st.ctimeMs && e[3] === st.ino ? e[4] : undefined;
  }

  set(abs: string, st: StatLike, sha256: string, hashedAt: number): void {
    if (hashedAt - st.mtimeMs < RACY_MS) {
      if (this.entries[abs]) {
        delete this.entries[abs];
        this.dirty = true;
      }
      return;
    }
    this.entries[abs] = [st.size, st.mtimeMs, st.ctimeMs, st.ino, sha256];
    this.dirty = true;
  }

  save(): void {
    if (!this.dirty || !this.file) return;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      if (writeCacheFile(this.file, JSON.stringify({ v: VERSION, e: this.entries }))) this.dirty = false;
    } catch {
      // Only a cache: a read-only store must not fail the command.
    }
  }
}

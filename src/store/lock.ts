// Lock files, as git's `index.lock`: created with O_EXCL, holding who took them; removed
// when done. Writers that read the heads of a version line and then write its next version
// hold `.mlmeta/cache/locks/write.lock` in between, so two processes never both make `m@3`.
// A lock whose holder is provably dead (same writer tag, pid gone) or older than `staleMs`
// is broken — under a second O_EXCL "break" lock, and only if it still holds what was judged
// stale, so two breakers never remove a fresh lock between them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError, ioError } from '../errors.js';
import { assertRealDir, removePlantedEntry } from './atomic.js';
import { writerMayBeAlive, writerTag } from './writer.js';

export interface LockOptions {
  /** how long to wait for a held lock before giving up (ms, default 60 s) */
  waitMs?: number;
  /** a lock older than this is stale whoever holds it (ms, default 10 min) */
  staleMs?: number;
  /** what the lock protects, for the error message */
  what?: string;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

interface Holder {
  tag: string;
  pid: number;
  at: number;
}

function readHolder(file: string): { text: string; holder?: Holder } | undefined {
  let text: string;
  try {
    // never blocks: a FIFO planted at the name opens at once (O_NONBLOCK) and is not read
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      if (!fs.fstatSync(fd).isFile()) return { text: 'unreadable:ENOTREG' };
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return { text: `unreadable:${code}` }; // a planted link or garbage: stale by age only
  }
  const [tag, pid, at] = text.trim().split(' ');
  const h = { tag: tag ?? '', pid: Number(pid), at: Number(at) };
  return { text, holder: Number.isFinite(h.pid) && Number.isFinite(h.at) ? h : undefined };
}

function isStale(file: string, holder: Holder | undefined, staleMs: number): boolean {
  let age = 0;
  try {
    age = Date.now() - fs.lstatSync(file).mtimeMs;
  } catch {
    return false; // gone: not stale, just retry
  }
  if (age > staleMs) return true;
  if (!holder) return age > 5_000; // being written right now, or garbage: give it a moment
  return !writerMayBeAlive(holder.tag, holder.pid);
}

function tryCreate(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(e, `cannot create lock ${file}`);
  }
  try {
    fs.writeSync(fd, content);
  } catch (e) {
    // (a full disk) an empty lock would block everyone until judged stale: remove it
    try { fs.unlinkSync(file); } catch { /* gone */ }
    throw ioError(e, `cannot write lock ${file}`);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** Remove `file` if it still holds `seenText`, under a break lock. */
function breakStale(file: string, seenText: string): void {
  const breaker = `${file}.break`;
  const me = `${writerTag()} ${process.pid} ${Date.now()}\n`;
  if (!tryCreate(breaker, me)) {
    const b = readHolder(breaker);
    if (b && isStale(breaker, b.holder, 10_000)) try { fs.unlinkSync(breaker); } catch { /* raced */ }
    return;
  }
  try {
    const now = readHolder(file);
    // a lock is a file: anything else at its name (a folder) was planted in the cache
    if (now && now.text === seenText) fs.rmSync(file, { recursive: true });
  } catch {
    /* gone already */
  } finally {
    try { fs.unlinkSync(breaker); } catch { /* ours, but gone */ }
  }
}

/**
 * mkdir -p one level at a time: a recursive mkdir reports a read-only store as ENOENT, and
 * the real reason (EROFS, EACCES) is what the user needs to see.
 */
function makeDirs(dir: string): void {
  try {
    fs.mkdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code === 'ENOENT' && path.dirname(dir) !== dir) {
      makeDirs(path.dirname(dir));
      return makeDirs(dir);
    }
    throw ioError(e, `cannot create ${dir}`);
  }
}

/** Take the lock `file` (waiting for it); returns the release function. */
export function acquireLock(file: string, opts: LockOptions = {}): () => void {
  const dir = path.dirname(file);
  // Lock folders live in the derived cache: a planted link there is replaced, never used.
  removePlantedEntry(dir);
  makeDirs(dir);
  assertRealDir(dir);
  const waitMs = opts.waitMs ?? 60_000;
  const staleMs = opts.staleMs ?? 600_000;
  const content = `${writerTag()} ${process.pid} ${Date.now()}\n`;
  const deadline = Date.now() + waitMs;
  let pause = 2;
  for (;;) {
    if (tryCreate(file, content)) break;
    const seen = readHolder(file);
    if (seen && isStale(file, seen.holder, staleMs)) {
      breakStale(file, seen.text);
      if (readHolder(file)?.text !== seen.text) continue;
      // not removed (another breaker holds the break lock, or it cannot be): wait, don't spin
    }
    if (Date.now() > deadline) {
      throw new MlmetaError('E_LOCKED', `${opts.what ?? 'the store'} is locked by another mlmeta process (${file}); try again, or remove the file if no mlmeta is running`);
    }
    sleep(pause + Math.random() * pause);
    pause = Math.min(pause * 2, 100);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const now = readHolder(file);
    if (now?.text === content) try { fs.unlinkSync(file); } catch { /* gone */ }
  };
}

/** Run `fn` holding the lock. */
export function withLock<T>(file: string, fn: () => T, opts: LockOptions = {}): T {
  const release = acquireLock(file, opts);
  try {
    return fn();
  } finally {
    release();
  }
}

/** The same for async work. */
export async function withLockAsync<T>(file: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const release = acquireLock(file, opts);
  try {
    return await fn();
  } finally {
    release();
  }
}

// Hash files and folders into a file list `{path, sha256, size}` sorted by path.
//
// Decisions (docs/DECISIONS.md, "Data"): folders are walked here, one readdir per folder with
// names as bytes (no glob engine: a glob treats `\` and newlines in names as syntax), dot-files
// included but never a `.git/` or `.mlmeta/` folder; `--exclude` takes gitignore-style globs
// relative to each input folder; a symlink to a file is hashed as the content it points to
// (that is what training reads), symlinked folders are not followed (no cycles, no escaping
// the tree), and a broken symlink is an error. Paths inside the project are stored relative
// to its root with '/', paths outside as absolute. A path that is not valid UTF-8 cannot be
// YAML text: it is stored escaped (see escapePath) and its entry carries `escaped: true`.
//
// The digest is what GNU coreutils' `sha256sum` prints for the files in path order, paths
// sorted by their bytes, hashed again (docs/DECISIONS.md gives the shell recipe).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError, ioError } from '../errors.js';
import { picomatch } from '../lazy-deps.js';
import { relativeInside } from '../store/paths.js';
import { hashFile } from './hash-file.js';
import { hashAll, type HashJob } from './hash-pool.js';
import { Progress } from './progress.js';
import type { StatCache } from './stat-cache.js';
import type { StatLike } from './hash-pool.js';

export interface FileEntry {
  /** the path as recorded; escaped (escapePath) when `escaped` is set */
  path: string;
  sha256: string;
  size: number;
  /** set only when the path's bytes are not UTF-8: `path` is then escaped */
  escaped?: true;
}

export interface HashedData {
  files: FileEntry[];
  /** sha256 of the `sha256sum` listing of the files in path-byte order (digestOf) */
  digest: string;
  size: number;
  /** input paths as recorded (relative to the project root, or absolute when outside it) */
  paths: string[];
  outside: boolean;
  /** input folders (as recorded) that held no file to hash: git will not keep them */
  emptyFolders: string[];
}

export interface HashOptions {
  projectRoot: string;
  cwd: string;
  exclude?: string[];
  cache: StatCache;
  progress?: boolean;
}

/** How a path is recorded: relative to the project with '/', or absolute when outside. */
export function recordedPath(projectRoot: string, abs: string): { path: string; outside: boolean } {
  const rel = relativeInside(projectRoot, abs);
  if (rel === undefined) return { path: abs, outside: true };
  if (rel === '') return { path: '.', outside: false };
  return { path: rel.split(path.sep).join('/'), outside: false };
}

// --- names as bytes ---------------------------------------------------------------------

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Buffer, text: string): boolean {
  // toString('utf8') replaces each bad sequence with U+FFFD; a real U+FFFD round-trips.
  return !text.includes('\uFFFD') || Buffer.from(text, 'utf8').equals(bytes);
}

/**
 * A path's bytes as text when they are not valid UTF-8: every byte that is not part of a
 * valid UTF-8 sequence is written `\xNN` (two lower-case hex digits) and a backslash is
 * written `\\`; everything else is the decoded text. unescapePath reverses it exactly.
 */
export function escapePath(bytes: Buffer): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let ch: string | undefined;
    if (len > 0 && i + len <= bytes.length) {
      try {
        ch = strictUtf8.decode(bytes.subarray(i, i + len));
      } catch {
        ch = undefined;
      }
    }
    if (ch === undefined) {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i += 1;
    } else {
      out += ch === '\\' ? '\\\\' : ch;
      i += len;
    }
  }
  return out;
}

export function unescapePath(text: string): Buffer {
  const parts: Buffer[] = [];
  let plain = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\\') {
      plain += text[i];
      continue;
    }
    parts.push(Buffer.from(plain, 'utf8'));
    plain = '';
    if (text[i + 1] === '\\') {
      parts.push(Buffer.from('\\'));
      i += 1;
    } else if (text[i + 1] === 'x' && /^[0-9a-f]{2}$/.test(text.slice(i + 2, i + 4))) {
      parts.push(Buffer.from([parseInt(text.slice(i + 2, i + 4), 16)]));
      i += 3;
    } else {
      throw new MlmetaError('E_BAD_INPUT', `bad escape in recorded path ${JSON.stringify(text)}`);
    }
  }
  parts.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(parts);
}

/** The bytes of a recorded file path. */
export function pathBytes(f: Pick<FileEntry, 'path' | 'escaped'>): Buffer {
  return f.escaped ? unescapePath(f.path) : Buffer.from(f.path, 'utf8');
}

/** One key per distinct path, for comparing file lists (an escaped text never equals a plain one). */
export function pathKey(f: Pick<FileEntry, 'path' | 'escaped'>): string {
  return f.escaped ? `\u0000${f.path}` : f.path;
}

/** Bytes → recorded text: plain when UTF-8, else escaped. */
function pathText(bytes: Buffer): { text: string; escaped: boolean } {
  const text = bytes.toString('utf8');
  return isUtf8(bytes, text) ? { text, escaped: false } : { text: escapePath(bytes), escaped: true };
}

// --- digest -------------------------------------------------------------------------------

const ESCAPED_IN_SUM = /[\\\n\r]/;

/**
 * The digest of a file list: SHA-256 of the lines GNU `sha256sum` prints for these files,
 * in the list's order. As sha256sum does, a path holding `\`, newline or carriage return is
 * written with those escaped (`\\`, `\n`, `\r`) and its line starts with a backslash, so two
 * different file lists can never give the same text.
 */
export function digestOf(files: FileEntry[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    const bytes = pathBytes(f);
    const latin1 = bytes.toString('latin1'); // byte-exact, to find the bytes to escape
    if (!ESCAPED_IN_SUM.test(latin1)) {
      h.update(`${f.sha256}  `);
      h.update(bytes);
    } else {
      const esc = latin1.replace(/[\\\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : '\\r'));
      h.update(`\\${f.sha256}  `);
      h.update(Buffer.from(esc, 'latin1'));
    }
    h.update('\n');
  }
  return h.digest('hex');
}

// --- --exclude ----------------------------------------------------------------------------

type Excluder = (rel: string, isDir: boolean) => boolean;

/**
 * gitignore-style globs (picomatch syntax, dot-files matched): a pattern without a '/' (but
 * a trailing one) matches a name at any depth; with one it is anchored at the input folder;
 * a trailing '/' matches folders only; a matched folder is skipped whole.
 */
function excluder(patterns: string[]): Excluder | undefined {
  if (patterns.length === 0) return undefined;
  const match = picomatch();
  const tests = patterns.map((p) => {
    const dirOnly = p.endsWith('/');
    let glob = dirOnly ? p.replace(/\/+$/, '') : p;
    const anchored = glob.includes('/');
    glob = glob.replace(/^\/+/, '');
    // gitignore's `!` re-includes; a glob engine reads it as "everything but": refused
    // rather than silently recording another file set. An empty pattern matches nothing.
    if (glob === '' || glob.startsWith('!')) {
      throw new MlmetaError('E_USAGE', `--exclude ${JSON.stringify(p)}: ${glob === '' ? 'an empty pattern' : 're-including with ! is not supported; exclude what you do not want instead'}`);
    }
    const m = match(glob, { dot: true, basename: !anchored });
    return (rel: string, isDir: boolean) => (!dirOnly || isDir) && m(rel);
  });
  return (rel, isDir) => tests.some((t) => t(rel, isDir));
}

// --- walk ---------------------------------------------------------------------------------

/**
 * A path during the walk: text when its bytes are valid UTF-8 (nearly always: strings make
 * the walk of 100k files a third cheaper than Buffers, and far less garbage), its bytes
 * otherwise (then every path below it too).
 */
type WalkPath = string | Buffer;

interface Found {
  /** absolute path, for fs calls */
  abs: WalkPath;
  /** the recorded path (sort order, digest) */
  rel: WalkPath;
  /** the stat numbers only (a whole fs.Stats per file is most of the walk's garbage) */
  st: StatLike;
}

const SEP = Buffer.from('/');
const NEVER = new Set(['.git', '.mlmeta']);

const slim = (st: fs.Stats): StatLike => ({ size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino });
const join = (dir: WalkPath, name: WalkPath): WalkPath => (typeof dir === 'string' && typeof name === 'string' ? `${dir}/${name}` : Buffer.concat([asBytes(dir), SEP, asBytes(name)]));
const asBytes = (p: WalkPath): Buffer => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p);

/** stat, following a symlink; `shown` (its name in messages) is computed only for an error. */
function statInput(abs: fs.PathLike, shown: () => string): fs.Stats {
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
 * One folder's entries: names as text, unless one of them is not UTF-8 (the decoder then
 * put U+FFFD in it; a real U+FFFD lands here too) — then the folder is listed again as bytes.
 */
function listFolder(dir: WalkPath, cwd: string): Array<fs.Dirent<string> | fs.Dirent<Buffer>> {
  try {
    if (typeof dir === 'string') {
      const entries = fs.readdirSync(dir, { withFileTypes: true });
      if (!entries.some((d) => d.name.includes('\uFFFD'))) return entries;
    }
    return fs.readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
  } catch (e) {
    throw ioError(e, `cannot list ${shownOf(dir, cwd)}`);
  }
}

/** Walk one input folder: every file under it (symlinks to files included) into `found`; returns how many. */
function walkFolder(absDir: string, recDir: string, exclude: Excluder | undefined, cwd: string, found: Map<string, Found>): number {
  let count = 0;
  // [absolute path, recorded path, text relative to the input folder ('' at its top)]
  const stack: Array<[WalkPath, WalkPath, string]> = [[absDir, recDir === '.' ? '' : recDir, '']];
  while (stack.length) {
    const [dirAbs, dirRec, dirRel] = stack.pop()!;
    for (const d of listFolder(dirAbs, cwd)) {
      // A folder listed as bytes makes every path below it bytes.
      const abs = join(typeof d.name === 'string' ? dirAbs : asBytes(dirAbs), d.name);
      // Node lstat()s entries whose type the file system did not report (DT_UNKNOWN).
      const isDir = d.isDirectory();
      const nameText = typeof d.name === 'string' ? d.name : pathText(d.name).text;
      if (isDir && NEVER.has(nameText)) continue;
      // The text relative to the input folder is needed only to match --exclude.
      let rel = '';
      if (exclude) {
        rel = dirRel === '' ? nameText : `${dirRel}/${nameText}`;
        if (exclude(rel, isDir)) continue;
      }
      const recPath = dirRec.length ? join(typeof d.name === 'string' ? dirRec : asBytes(dirRec), d.name) : d.name;
      if (isDir) {
        stack.push([abs, recPath, rel]);
        continue;
      }
      if (!d.isFile() && !d.isSymbolicLink()) continue; // FIFOs, sockets, devices are not data
      const st = statInput(abs, () => shownOf(abs, cwd));
      if (!st.isFile()) continue; // a symlinked folder is not followed
      found.set(keyOf(abs), { abs, rel: recPath, st: slim(st) });
      count += 1;
    }
  }
  return count;
}

/** A path's text for messages, relative to where the command runs. */
function shownOf(abs: WalkPath, cwd: string): string {
  return path.relative(cwd, typeof abs === 'string' ? abs : pathText(abs).text);
}

/** The stat cache's key: the absolute path, or its escaped text behind a NUL (never a real path). */
function keyOf(abs: WalkPath): string {
  if (typeof abs === 'string') return abs;
  const t = pathText(abs);
  return t.escaped ? `\u0000${t.text}` : t.text;
}

/** Recorded paths in the order of their bytes (sha256sum's order, the digest's). */
function byteOrder(a: WalkPath, b: WalkPath): number {
  // UTF-16 order is UTF-8 byte order but where a surrogate meets U+E000–U+FFFF.
  if (typeof a === 'string' && typeof b === 'string' && !WIDE.test(a) && !WIDE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(asBytes(a), asBytes(b));
}
const WIDE = /[\uD800-\uFFFF]/;

/** Hash files and folders; files not in the stat cache are hashed across the cores. */
export async function hashPaths(inputs: string[], opts: HashOptions): Promise<HashedData> {
  const found = collect(inputs, opts);
  const progress = new Progress(opts.progress ?? false, found.list.reduce((n, [, f]) => n + f.st.size, 0), 'hashing');
  const known = found.list.map(([key, f]) => cached(opts.cache, key, f, progress));
  const jobs = known.flatMap((k, i) => (k ? [] : [i]));
  await hashAll(jobs.map((i) => jobOf(found.list[i]![1], opts.cwd)), (n, h, hashedAt) => {
    const i = jobs[n]!;
    opts.cache.set(found.list[i]![0], h.stat, h.sha256, hashedAt);
    known[i] = { sha256: h.sha256, size: h.size };
    progress.add(h.size);
  });
  progress.done();
  return finish(found, known as Hashed[], opts);
}

/** The same on the calling thread, for callers that must stay synchronous (`which` of a folder). */
export function hashPathsSync(inputs: string[], opts: HashOptions): HashedData {
  const found = collect(inputs, opts);
  const progress = new Progress(opts.progress ?? false, found.list.reduce((n, [, f]) => n + f.st.size, 0), 'hashing');
  const known = found.list.map(([key, f]) => {
    const hit = cached(opts.cache, key, f, progress);
    if (hit) return hit;
    const hashedAt = Date.now();
    const h = hashFile(f.abs, shownOf(f.abs, opts.cwd));
    opts.cache.set(key, h.stat, h.sha256, hashedAt);
    progress.add(h.size);
    return { sha256: h.sha256, size: h.size };
  });
  progress.done();
  return finish(found, known, opts);
}

interface Hashed {
  sha256: string;
  size: number;
}

interface Collected {
  /** [stat cache key, file], sorted by recorded path bytes */
  list: Array<[string, Found]>;
  recorded: string[];
  emptyFolders: string[];
  outside: boolean;
}

/** One walk over the inputs: every file with its stat. */
function collect(inputs: string[], opts: HashOptions): Collected {
  const found = new Map<string, Found>();
  const recorded: string[] = [];
  const emptyFolders: string[] = [];
  const exclude = excluder(opts.exclude ?? []);
  let outside = false;
  for (const input of inputs) {
    const abs = path.resolve(opts.cwd, input);
    // The store is not data: its records and caches change with every command.
    if (abs.split(path.sep).includes('.mlmeta')) throw new MlmetaError('E_BAD_INPUT', `${input} is inside an mlmeta store; records and caches are not data`);
    const st = statInput(abs, () => input);
    const rp = recordedPath(opts.projectRoot, abs);
    recorded.push(rp.path);
    outside ||= rp.outside;
    if (st.isDirectory()) {
      if (walkFolder(abs, rp.path, exclude, opts.cwd, found) === 0) emptyFolders.push(rp.path);
    } else if (st.isFile()) {
      found.set(keyOf(abs), { abs, rel: rp.path, st: slim(st) });
    } else {
      throw new MlmetaError('E_BAD_INPUT', `not a file or folder: ${input}`);
    }
  }
  const list = [...found].sort(([, a], [, b]) => byteOrder(a.rel, b.rel));
  return { list, recorded, emptyFolders, outside };
}

function cached(cache: StatCache, key: string, f: Found, progress: Progress): Hashed | undefined {
  const sha256 = cache.get(key, f.st);
  if (sha256 === undefined) return undefined;
  progress.add(f.st.size);
  return { sha256, size: f.st.size };
}

function jobOf(f: Found, cwd: string): HashJob {
  return { abs: f.abs, shown: () => shownOf(f.abs, cwd) };
}

function finish(found: Collected, hashed: Hashed[], opts: HashOptions): HashedData {
  const files: FileEntry[] = [];
  let total = 0;
  found.list.forEach(([, f], i) => {
    const { sha256, size } = hashed[i]!;
    total += size;
    const t = typeof f.rel === 'string' ? { text: f.rel, escaped: false } : pathText(f.rel);
    files.push({ path: t.text, sha256, size, ...(t.escaped ? { escaped: true as const } : {}) });
  });
  opts.cache.save();
  return { files, digest: digestOf(files), size: total, paths: found.recorded, outside: found.outside, emptyFolders: found.emptyFolders };
}

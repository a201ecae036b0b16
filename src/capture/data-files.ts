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
import { joinPath, MIN_FILES, ScanPool } from './hash-pool.js';
import { Progress } from './progress.js';
import { HASHED, HIT, scanFile, statInput } from './scan-file.js';
import type { StatCache } from './stat-cache.js';

export interface FileEntry {
  /** the path as recorded; escaped (escapePath) when `escaped` is set */
  path: string;
  sha256: string;
  size: number;
  /** set only when the path's bytes are not UTF-8: `path` is then escaped */
  escaped?: true;
}

export interface HashedData {
  /**
   * The files, in path-byte order: made when first asked for (a re-check of unchanged data
   * needs only the digest and the count; 100k entries kept alive cost ~0.1 s here).
   */
  readonly files: FileEntry[];
  count: number;
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
  /** the hashing threads: the built worker to use, and from how many files (tests run both paths with these) */
  threads?: { worker?: string; minFiles?: number };
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
export function digestOf(files: Iterable<FileEntry>): string {
  const h = createHash('sha256');
  // Lines of plain UTF-8 paths are written into one block of bytes, hashed when it is full
  // (a string grown line by line, then encoded, was three times the cost: ~0.1 s at 100k).
  let block = Buffer.allocUnsafe(1 << 17);
  let at = 0;
  for (const f of files) {
    if (!f.escaped && !ESCAPED_IN_SUM.test(f.path)) {
      const most = 3 * (f.sha256.length + f.path.length) + 3; // UTF-8 takes at most 3 bytes per UTF-16 unit
      if (at + most > block.length) {
        h.update(block.subarray(0, at));
        at = 0;
        if (most > block.length) block = Buffer.allocUnsafe(most);
      }
      at += block.write(f.sha256, at, 'utf8');
      block[at++] = 0x20;
      block[at++] = 0x20;
      at += block.write(f.path, at, 'utf8');
      block[at++] = 0x0a;
      continue;
    }
    h.update(block.subarray(0, at));
    at = 0;
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
  h.update(block.subarray(0, at));
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

/**
 * What a walk found, kept lean (an object and two path strings per file were most of a
 * 100k-file walk's garbage): per file found in a folder, the folder and its name there,
 * joined only when a path is needed (the hashing threads join their own); an input file's
 * paths whole; which files are symlinks (or input files: stat'ed before anything else,
 * scan-file.ts).
 */
class Found {
  /** the folders files were found in: absolute, and as recorded ('': the project's root) */
  readonly folders: Array<{ abs: WalkPath; rec: WalkPath }> = [];
  /** per file: its folder's number in `folders` (-1: an input file, in `inputs`) */
  readonly folder: number[] = [];
  /** per file: its name in its folder (an input file: its recorded path) */
  readonly names: WalkPath[] = [];
  /** input files' absolute paths, by file number */
  readonly inputs = new Map<number, string>();
  readonly links = new Set<number>();

  get count(): number {
    return this.names.length;
  }

  /** A file found in folder number `k`; its number. */
  push(k: number, name: WalkPath, link: boolean): number {
    const i = this.names.push(name) - 1;
    this.folder.push(k);
    if (link) this.links.add(i);
    return i;
  }

  /** An input file (stat'ed first, as a symlink is); its number. */
  pushInput(abs: string, rec: string): number {
    const i = this.push(-1, rec, true);
    this.inputs.set(i, abs);
    return i;
  }

  abs(i: number): WalkPath {
    const k = this.folder[i]!;
    return k < 0 ? this.inputs.get(i)! : join(this.folders[k]!.abs, this.names[i]!);
  }

  /** The recorded path of file `i`. */
  rel(i: number): WalkPath {
    const k = this.folder[i]!;
    if (k < 0) return this.names[i]!;
    const rec = this.folders[k]!.rec;
    return rec.length ? join(rec, this.names[i]!) : this.names[i]!;
  }
}

const SEP = Buffer.from('/');
const NEVER = new Set(['.git', '.mlmeta']);

const join = (dir: WalkPath, name: WalkPath): WalkPath => (typeof dir === 'string' && typeof name === 'string' ? joinPath(dir, name) : Buffer.concat([asBytes(dir), SEP, asBytes(name)]));
const asBytes = (p: WalkPath): Buffer => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p);

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

/**
 * Walk one input folder: every regular file and symlink under it into `found` (not stat'ed:
 * the scan does that, on the hashing threads), `onFile(i)` after each. Yields after each
 * folder, so that a caller can let the threads' answers in.
 */
function* walkFolder(absDir: string, recDir: string, exclude: Excluder | undefined, cwd: string, found: Found, onFile: (i: number) => void): Generator<void> {
  // [absolute path, recorded path ('' at the project's root), text relative to the input folder ('' at its top)]
  const stack: Array<[WalkPath, WalkPath, string]> = [[absDir, recDir === '.' ? '' : recDir, '']];
  while (stack.length) {
    const [dirAbs, dirRec, dirRel] = stack.pop()!;
    let k = -1; // the folder's number in found, once it holds a file
    for (const d of listFolder(dirAbs, cwd)) {
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
      // A folder listed as bytes makes every path below it bytes.
      const bytes = typeof d.name !== 'string';
      if (isDir) {
        const recPath = dirRec.length ? join(bytes ? asBytes(dirRec) : dirRec, d.name) : d.name;
        stack.push([join(bytes ? asBytes(dirAbs) : dirAbs, d.name), recPath, rel]);
        continue;
      }
      const link = d.isSymbolicLink();
      if (!link && !d.isFile()) continue; // FIFOs, sockets, devices are not data
      if (k < 0) k = found.folders.push(bytes ? { abs: asBytes(dirAbs), rec: asBytes(dirRec) } : { abs: dirAbs, rec: dirRec }) - 1;
      onFile(found.push(k, d.name, link));
    }
    yield;
  }
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

/** UTF-16 order is UTF-8 byte order but where a surrogate meets U+E000–U+FFFF (tested once per path, not per comparison). */
const WIDE = /[\uD800-\uFFFF]/;

/** Files found between two looks at the threads' answers, while walking. */
const YIELD_EVERY = 2048;

/**
 * Hash files and folders: the files are stat'ed — and hashed when the stat cache does not
 * know them — across the cores while the walk goes on.
 */
export async function hashPaths(inputs: string[], opts: HashOptions): Promise<HashedData> {
  const found = new Found();
  const hashed: Hashed = { sha256: [], size: [] };
  const progress = new Progress(opts.progress ?? false, 0, 'hashing', 'files');
  const here = (i: number) => {
    scanHere(found, i, hashed, opts);
    progress.add(1);
  };
  // Answers are taken in as they come (between folders while walking), so that the calling
  // thread's share overlaps the threads' reading.
  const pool = new ScanPool(opts.cache.file, (i, a) => {
    if (a.code === HASHED) opts.cache.set(keyOf(found.abs(i)), a.stat, a.sha256, a.hashedAt);
    hashed.sha256[i] = a.sha256;
    hashed.size[i] = a.size;
    progress.add(1);
  }, here, opts.threads?.worker);
  const minFiles = opts.threads?.minFiles ?? MIN_FILES;
  try {
    let threaded = false;
    const toPool = (i: number) => {
      const k = found.folder[i]!;
      const dir = k < 0 ? undefined : found.folders[k]!.abs;
      const name = found.names[i]!;
      const link = found.links.has(i);
      if (typeof dir === 'string' && typeof name === 'string') pool.addIn(dir, name, link);
      else {
        const abs = found.abs(i);
        pool.add(abs, link, typeof abs === 'string' ? null : keyOf(abs));
      }
    };
    const walk = collect(inputs, opts, found, (i) => {
      hashed.sha256.push(undefined); // answers land in place, in any order
      hashed.size.push(0);
      if (threaded) toPool(i);
      else if (i + 1 === minFiles && pool.start()) {
        threaded = true;
        for (let j = 0; j <= i; j++) toPool(j);
      }
    });
    let seen = 0;
    let step = walk.next();
    for (; !step.done; step = walk.next()) {
      if (threaded && found.count - seen >= YIELD_EVERY) {
        seen = found.count;
        await new Promise(setImmediate);
      }
    }
    progress.total = found.count;
    if (threaded) await pool.drain();
    else for (let i = 0; i < found.count; i++) here(i);
    progress.done();
    return finish(step.value, found, hashed, opts, inputs.length > 1);
  } finally {
    await pool.close();
  }
}

/** The same on the calling thread, for callers that must stay synchronous (`which` of a folder). */
export function hashPathsSync(inputs: string[], opts: HashOptions): HashedData {
  const found = new Found();
  const walk = collect(inputs, opts, found, () => {});
  let step = walk.next();
  while (!step.done) step = walk.next();
  const n = found.count;
  const progress = new Progress(opts.progress ?? false, n, 'hashing', 'files');
  const hashed: Hashed = { sha256: [], size: [] };
  for (let i = 0; i < n; i++) {
    scanHere(found, i, hashed, opts);
    progress.add(1);
  }
  progress.done();
  return finish(step.value, found, hashed, opts, inputs.length > 1);
}

/** Per file found: its hash (undefined: skipped, not a regular file) and size. */
interface Hashed {
  sha256: Array<string | undefined>;
  size: number[];
}

/** One file on the calling thread; errors name it. */
function scanHere(found: Found, i: number, hashed: Hashed, opts: HashOptions): void {
  const abs = found.abs(i);
  const key = keyOf(abs);
  const known = opts.cache.known(key);
  const r = scanFile({ abs, link: found.links.has(i), expected: known?.stat }, () => shownOf(abs, opts.cwd));
  if (r.code === HIT) {
    hashed.sha256[i] = known!.sha256;
    hashed.size[i] = known!.stat.size;
  } else if (r.code === HASHED) {
    opts.cache.set(key, r.stat, r.sha256, r.hashedAt);
    hashed.sha256[i] = r.sha256;
    hashed.size[i] = r.size;
  }
}

interface Inputs {
  recorded: string[];
  /** the input folders, as recorded */
  folders: string[];
  outside: boolean;
}

/** One walk over the inputs: every file to scan into `found` (in walk order), `onFile(i)` after each. */
function* collect(inputs: string[], opts: HashOptions, found: Found, onFile: (i: number) => void): Generator<void, Inputs> {
  const recorded: string[] = [];
  const folders: string[] = [];
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
      folders.push(rp.path);
      yield* walkFolder(abs, rp.path, exclude, opts.cwd, found, onFile);
    } else if (st.isFile()) {
      onFile(found.pushInput(abs, rp.path));
    } else {
      throw new MlmetaError('E_BAD_INPUT', `not a file or folder: ${input}`);
    }
  }
  return { recorded, folders, outside };
}

/** Whether the recorded path `rel` is below the input folder recorded as `dir`. */
function isUnder(rel: WalkPath, dir: string): boolean {
  if (dir === '.') return typeof rel === 'string' ? !path.isAbsolute(rel) : rel[0] !== SEP[0];
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return typeof rel === 'string' ? rel.startsWith(prefix) : rel.subarray(0, Buffer.byteLength(prefix)).equals(Buffer.from(prefix));
}

/** The numbers of the files hashed (skipped ones left out), each file once, in recorded-path byte order. */
function arrange(found: Found, rels: WalkPath[], hashed: Hashed, overlap: boolean): number[] {
  let order: number[] = [];
  for (let i = 0; i < found.count; i++) if (hashed.sha256[i] !== undefined) order.push(i);
  // Inputs may overlap (a folder and a file in it): each file once.
  if (overlap) order = [...new Map(order.map((i) => [keyOf(found.abs(i)), i])).values()];
  if (order.every((i) => typeof rels[i] === 'string' && !WIDE.test(rels[i] as string))) {
    order.sort((a, b) => (rels[a]! < rels[b]! ? -1 : rels[a]! > rels[b]! ? 1 : 0));
  } else order.sort((a, b) => Buffer.compare(asBytes(rels[a]!), asBytes(rels[b]!)));
  return order;
}

function finish(inputs: Inputs, found: Found, hashed: Hashed, opts: HashOptions, overlap: boolean): HashedData {
  const rels = found.names.map((_, i) => found.rel(i));
  const order = arrange(found, rels, hashed, overlap);
  const entry = (i: number): FileEntry => {
    const rel = rels[i]!;
    const t = typeof rel === 'string' ? { text: rel, escaped: false } : pathText(rel);
    const sha256 = hashed.sha256[i]!;
    const size = hashed.size[i]!;
    return t.escaped ? { path: t.text, sha256, size, escaped: true } : { path: t.text, sha256, size };
  };
  let total = 0;
  for (const i of order) total += hashed.size[i]!;
  opts.cache.save();
  // an input folder none of whose files was hashed (git will not keep an empty folder)
  const emptyFolders = inputs.folders.filter((dir) => !order.some((i) => isUnder(rels[i]!, dir)));
  // the digest from entries made one at a time and dropped (young garbage costs little)
  const digest = digestOf((function* () {
    for (const i of order) yield entry(i);
  })());
  let files: FileEntry[] | undefined;
  return {
    get files() {
      return (files ??= order.map(entry));
    },
    count: order.length,
    digest,
    size: total,
    paths: inputs.recorded,
    outside: inputs.outside,
    emptyFolders,
  };
}

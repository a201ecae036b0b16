// Hash files and folders into a file list `{path, sha256, size}` sorted by path.
//
// Decisions (docs/DATA.md): folders are walked with fast-glob including dot-files but never
// `.git/` or `.mlmeta/`; `--exclude` takes gitignore-style globs; a symlink to a file is
// hashed as the content it points to (that is what training reads), symlinked folders are
// not followed (no cycles, no escaping the tree), and a broken symlink is an error. Paths
// inside the project are stored relative to its root with '/', paths outside as absolute.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError, ioError } from '../errors.js';
import { sha256Hex } from '../store/objects.js';
import { fastGlob } from '../lazy-deps.js';
import { hashFile } from './hash-file.js';
import { Progress } from './progress.js';
import type { StatCache } from './stat-cache.js';

export interface FileEntry {
  path: string;
  sha256: string;
  size: number;
}

export interface HashedData {
  files: FileEntry[];
  /** sha256 of the `sha256sum`-style listing "<sha256>  <path>\n", one line per file in order */
  digest: string;
  size: number;
  /** input paths as recorded (relative to the project root, or absolute when outside it) */
  paths: string[];
  outside: boolean;
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
  const rel = path.relative(projectRoot, abs);
  if (rel === '') return { path: '.', outside: false };
  if (rel.startsWith('..') || path.isAbsolute(rel)) return { path: abs, outside: true };
  return { path: rel.split(path.sep).join('/'), outside: false };
}

export function digestOf(files: FileEntry[]): string {
  return sha256Hex(files.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
}

async function listFolder(dir: string, exclude: string[]): Promise<string[]> {
  const fg = fastGlob();
  try {
    return await fg('**/*', {
      cwd: dir,
      dot: true,
      onlyFiles: false, // symlinks to files must come through; folders are dropped after stat
      followSymbolicLinks: false,
      ignore: ['**/.git/**', '**/.mlmeta/**', ...exclude],
      absolute: true,
      suppressErrors: false,
    });
  } catch (e) {
    throw ioError(e, `cannot list ${dir}`);
  }
}

function statInput(abs: string, shown: string): fs.Stats {
  try {
    return fs.statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const isLink = (() => { try { return fs.lstatSync(abs).isSymbolicLink(); } catch { return false; } })();
      throw new MlmetaError('E_NOT_FOUND', isLink ? `broken symlink: ${shown}` : `no such file or folder: ${shown}`);
    }
    throw ioError(e, `cannot read ${shown}`);
  }
}

export async function hashPaths(inputs: string[], opts: HashOptions): Promise<HashedData> {
  const found = new Map<string, fs.Stats>();
  const recorded: string[] = [];
  let outside = false;
  for (const input of inputs) {
    const abs = path.resolve(opts.cwd, input);
    const st = statInput(abs, input);
    const rp = recordedPath(opts.projectRoot, abs);
    recorded.push(rp.path);
    outside ||= rp.outside;
    if (st.isDirectory()) {
      for (const f of await listFolder(abs, opts.exclude ?? [])) {
        const fst = statInput(f, path.relative(opts.cwd, f));
        if (fst.isFile()) found.set(path.normalize(f), fst);
      }
    } else if (st.isFile()) {
      found.set(abs, st);
    } else {
      throw new MlmetaError('E_BAD_INPUT', `not a file or folder: ${input}`);
    }
  }
  const total = [...found.values()].reduce((n, s) => n + s.size, 0);
  const progress = new Progress(opts.progress ?? false, total, 'hashing');
  const files: FileEntry[] = [];
  for (const [abs, st] of found) {
    let sha = opts.cache.get(abs, st);
    if (sha === undefined) {
      const hashedAt = Date.now();
      sha = hashFile(abs).sha256;
      opts.cache.set(abs, st, sha, hashedAt);
    }
    progress.add(st.size);
    const rp = recordedPath(opts.projectRoot, abs);
    files.push({ path: rp.path, sha256: sha, size: st.size });
  }
  progress.done();
  opts.cache.save();
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, digest: digestOf(files), size: total, paths: recorded, outside };
}

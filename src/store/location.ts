// Where the store is: `--store DIR` or MLMETA_DIR if given, else the nearest `.mlmeta/`
// found walking up from the working folder (like git finds `.git`), but never above the git
// work tree the folder is in: a nested repo (a clone inside another project) must not use
// its parent's store. `init` places a new store at the git work-tree root, or in the
// working folder outside git.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError, ioError } from '../errors.js';
import { readNoFollow, removePlantedEntry, writeFileAtomic } from './atomic.js';
import { OBJECTS_PLACEHOLDER } from './objects.js';

export const STORE_DIRNAME = '.mlmeta';
export const STORE_FORMAT = 1;

export interface StoreLayout {
  /** the `.mlmeta` folder */
  root: string;
  objects: string;
  cache: string;
  config: string;
  /** the folder that holds `.mlmeta` (the project root) */
  project: string;
}

export function layoutOf(root: string): StoreLayout {
  const abs = path.resolve(root);
  return {
    root: abs,
    objects: path.join(abs, 'objects'),
    cache: path.join(abs, 'cache'),
    config: path.join(abs, 'config.yaml'),
    project: path.dirname(abs),
  };
}

/**
 * A store is a folder with config.yaml. objects/ may be missing: git drops an empty folder,
 * so a committed store without records comes back from a clone without it (reads see no
 * objects; the first write creates it).
 */
function isStore(dir: string): boolean {
  try {
    // lstat: a config.yaml that is a link does not make a store
    return fs.lstatSync(path.join(dir, 'config.yaml')).isFile();
  } catch {
    return false;
  }
}

/**
 * A `.mlmeta` found by walking up must be a real folder: a committed symlink would send
 * every record into another project's store (or anywhere), so it is refused, not followed.
 * (`--store`/MLMETA_DIR name a folder on purpose and may go through links.)
 */
function refuseLinkedStore(candidate: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(candidate);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) {
    throw new MlmetaError('E_IO', `${candidate} is a symlink (committed to the repository?); refused: a store must be a real folder`);
  }
}

function isGitRoot(dir: string): boolean {
  return fs.existsSync(path.join(dir, '.git'));
}

export interface LocateOptions {
  store?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The explicitly chosen store folder, if any (`--store` wins over MLMETA_DIR). */
export function explicitStore(opts: LocateOptions): string | undefined {
  const cwd = opts.cwd ?? process.cwd();
  const chosen = opts.store ?? (opts.env ?? process.env).MLMETA_DIR;
  return chosen ? path.resolve(cwd, chosen) : undefined;
}

export function findStore(opts: LocateOptions = {}): StoreLayout {
  const layout = locateStore(opts);
  // A planted `cache` link would take every cache write elsewhere (see removePlantedEntry).
  removePlantedEntry(layout.cache);
  return layout;
}

function locateStore(opts: LocateOptions): StoreLayout {
  const explicit = explicitStore(opts);
  if (explicit) {
    if (isStore(explicit)) return layoutOf(explicit);
    throw new MlmetaError('E_NO_STORE', `no mlmeta store at ${explicit}; run \`mlmeta init\``);
  }
  let dir = path.resolve(opts.cwd ?? process.cwd());
  for (;;) {
    const candidate = path.join(dir, STORE_DIRNAME);
    refuseLinkedStore(candidate);
    if (isStore(candidate)) return layoutOf(candidate);
    const up = path.dirname(dir);
    if (isGitRoot(dir)) {
      throw new MlmetaError('E_NO_STORE', `no mlmeta store in this git work tree (${dir}); run \`mlmeta init\``);
    }
    if (up === dir) break;
    dir = up;
  }
  throw new MlmetaError('E_NO_STORE', 'no mlmeta store here or in any parent folder; run `mlmeta init`');
}

/** The git work-tree root above `start`, found by looking for `.git` (folder or file). */
export function findGitRoot(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (isGitRoot(dir)) return dir;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export interface InitResult {
  layout: StoreLayout;
  created: boolean;
}

/** What `.mlmeta/.gitignore` must say: derived data, and files of writers at work (or killed). */
const GITIGNORE_HEADER = '# derived data, rebuilt on demand\n';
const GITIGNORE_LINES = ['cache', '# temp and lock files of writers at work (or killed)', '.tmp-*', '*.lock', '*.lock.break'];
/** Lines a store made by an older mlmeta may lack (`cache` also ignores a link named so, where `cache/` did not); a user's own lines are kept. */
const GITIGNORE_REQUIRED = ['cache', '.tmp-*', '*.lock', '*.lock.break'];

/**
 * Write `.mlmeta/.gitignore`, or add the lines it lacks to one that exists (idempotent:
 * nothing is written when all are there). Temp files left by an interrupted write or pull
 * must never reach a commit (`git add -A`).
 */
export function ensureGitignore(root: string): void {
  const gi = path.join(root, '.gitignore');
  let text: string | undefined;
  try {
    text = readNoFollow(gi).toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // absent, or a link or other planted entry: replaced by a file of our own, never written through
    if (code !== 'ENOENT' && code !== 'ELOOP' && code !== 'ENOTREG') throw e;
  }
  if (text === undefined) {
    writeFileAtomic(gi, `${GITIGNORE_HEADER}${GITIGNORE_LINES.join('\n')}\n`);
    return;
  }
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim()));
  const missing = GITIGNORE_REQUIRED.filter((l) => !have.has(l));
  if (missing.length === 0) return;
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  writeFileAtomic(gi, `${text}${sep}${GITIGNORE_LINES[1]}\n${missing.join('\n')}\n`);
}

/** Create the store (idempotent). Never touches existing objects. */
export function initStore(opts: LocateOptions = {}): InitResult {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const root = explicitStore(opts) ?? path.join(findGitRoot(cwd) ?? cwd, STORE_DIRNAME);
  if (explicitStore(opts) === undefined) refuseLinkedStore(root);
  const layout = layoutOf(root);
  const existed = isStore(root);
  try {
    fs.mkdirSync(layout.objects, { recursive: true });
    // keeps objects/ in git before the first record (see OBJECTS_PLACEHOLDER)
    writeUnlessFile(path.join(layout.objects, OBJECTS_PLACEHOLDER), '');
    writeUnlessFile(layout.config, `# mlmeta store; records live in objects/, named by their SHA-256\nformat: ${STORE_FORMAT}\n`);
    ensureGitignore(root);
    // Objects are never edited, so git should neither merge nor renormalise them.
    writeUnlessFile(path.join(root, '.gitattributes'), 'objects/** -text merge=binary linguist-generated\n');
  } catch (e) {
    throw e instanceof MlmetaError ? e : ioError(e, `cannot create store at ${root}`);
  }
  return { layout, created: !existed };
}

/** Write `file` unless a regular file is there; a planted link is replaced, never written through. */
function writeUnlessFile(file: string, text: string): void {
  try {
    if (fs.lstatSync(file).isFile()) return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  writeFileAtomic(file, text);
}

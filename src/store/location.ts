// Where the store is: `--store DIR` or MLMETA_DIR if given, else the nearest `.mlmeta/`
// found walking up from the working folder (like git finds `.git`). `init` places a new
// store at the git work-tree root, or in the working folder outside git.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError, ioError } from '../errors.js';

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

function isStore(dir: string): boolean {
  try {
    return fs.statSync(path.join(dir, 'config.yaml')).isFile() && fs.statSync(path.join(dir, 'objects')).isDirectory();
  } catch {
    return false;
  }
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
  const explicit = explicitStore(opts);
  if (explicit) {
    if (isStore(explicit)) return layoutOf(explicit);
    throw new MlmetaError('E_NO_STORE', `no mlmeta store at ${explicit}; run \`mlmeta init\``);
  }
  let dir = path.resolve(opts.cwd ?? process.cwd());
  for (;;) {
    const candidate = path.join(dir, STORE_DIRNAME);
    if (isStore(candidate)) return layoutOf(candidate);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new MlmetaError('E_NO_STORE', 'no mlmeta store here or in any parent folder; run `mlmeta init`');
}

/** The git work-tree root above `start`, found by looking for `.git` (folder or file). */
export function findGitRoot(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export interface InitResult {
  layout: StoreLayout;
  created: boolean;
}

/** Create the store (idempotent). Never touches existing objects. */
export function initStore(opts: LocateOptions = {}): InitResult {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const root = explicitStore(opts) ?? path.join(findGitRoot(cwd) ?? cwd, STORE_DIRNAME);
  const layout = layoutOf(root);
  const existed = isStore(root);
  try {
    fs.mkdirSync(layout.objects, { recursive: true });
    if (!fs.existsSync(layout.config)) {
      fs.writeFileSync(layout.config, `# mlmeta store; records live in objects/, named by their SHA-256\nformat: ${STORE_FORMAT}\n`);
    }
    const gi = path.join(root, '.gitignore');
    if (!fs.existsSync(gi)) fs.writeFileSync(gi, '# derived data, rebuilt on demand\ncache/\n');
    const ga = path.join(root, '.gitattributes');
    // Objects are never edited, so git should neither merge nor renormalise them.
    if (!fs.existsSync(ga)) fs.writeFileSync(ga, 'objects/** -text merge=binary linguist-generated\n');
  } catch (e) {
    throw ioError(e, `cannot create store at ${root}`);
  }
  return { layout, created: !existed };
}

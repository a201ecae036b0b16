// `mlmeta clone URL [DIR]`: git clone, then pull the lineage into the new repository's own
// store — named explicitly, never one found by walking up (a parent project's) and never
// MLMETA_DIR or --store (someone else's). Credentials in the URL stay in memory for both.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import type { PullResult, SyncOptions } from '../remote/sync.js';
import { gitClone } from '../remote/transport.js';
import { STORE_DIRNAME } from '../store/location.js';
import { initStore, openStore, type Store } from './store.js';

export interface CloneInput {
  url: string;
  /** default: the URL's last segment without `.git`, in `cwd` */
  dir?: string;
  cwd?: string;
  progress?: boolean;
}

export async function cloneRepository(input: CloneInput): Promise<PullResult & { dir: string }> {
  const cwd = input.cwd ?? process.cwd();
  const dir = path.resolve(cwd, input.dir ?? path.basename(input.url.replace(/\/+$/, '')).replace(/\.git$/, ''));
  // A path is taken from where the command runs; a URL as it is.
  const source = fs.existsSync(path.resolve(cwd, input.url)) ? path.resolve(cwd, input.url) : input.url;
  gitClone(cwd, source, dir);
  const where = { store: path.join(dir, STORE_DIRNAME), cwd: dir, env: {} };
  let store: Store;
  try {
    store = openStore(where);
  } catch (e) {
    if (!(e instanceof MlmetaError && e.code === 'E_NO_STORE')) throw e;
    store = initStore(where).store;
  }
  // The URL as given (its credentials in memory), not the clone's credential-free origin.
  const opts: SyncOptions = { progress: input.progress, cwd: dir };
  return { dir, ...(await store.pull(source, opts)) };
}

// Datasets from files: hash the paths into a `manifest` record (the file list, pure
// content) and a `dataset` record (digest, counts, the manifest as parent). Recording
// data identical to the line's current head returns that version instead of a new one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { hashPaths, type HashedData } from '../capture/data-files.js';
import { StatCache } from '../capture/stat-cache.js';
import { canonicalYaml } from '../records/yaml.js';
import type { Store } from './store.js';

export interface DatasetInput {
  paths: string[];
  name?: string;
  exclude?: string[];
  message?: string;
  date?: string;
  code?: string;
  progress?: boolean;
}

export interface DatasetResult {
  id: string;
  manifest: string;
  name: string;
  version: number;
  /** true when the head already held exactly this data */
  reused: boolean;
  outside: boolean;
  files: number;
  size: number;
  digest: string;
}

export async function hashData(store: Store, paths: string[], exclude: string[] = [], progress = false): Promise<HashedData> {
  return hashPaths(paths, { projectRoot: store.layout.project, cwd: store.cwd, exclude, cache: new StatCache(store.layout.cache), progress });
}

export async function recordDataset(store: Store, input: DatasetInput): Promise<DatasetResult> {
  if (input.paths.length === 0) throw new MlmetaError('E_BAD_INPUT', 'record dataset needs at least one file or folder');
  const data = await hashData(store, input.paths, input.exclude, input.progress);
  let name = input.name;
  if (name === undefined) {
    if (data.paths.length !== 1 || data.outside) {
      throw new MlmetaError('E_BAD_INPUT', 'name the dataset with --name (several paths, or a path outside the project)');
    }
    name = data.paths[0] === '.' ? path.basename(store.layout.project) : data.paths[0]!;
  }
  const graph = store.graph();
  const heads = graph.heads('dataset', name);
  if (heads.length === 1 && graph.full(heads[0]!)?.digest === data.digest) {
    const s = graph.get(heads[0]!)!;
    const manifest = (s.parents ?? []).find((p) => p.role === 'manifest')?.id ?? '';
    return { id: heads[0]!, manifest, name, version: s.version ?? 1, reused: true, outside: data.outside, files: data.files.length, size: data.size, digest: data.digest };
  }
  const manifest = store.writeRecordBytes(Buffer.from(canonicalYaml({ mlmeta: 1, kind: 'manifest', digest: data.digest, files: data.files }), 'utf8')).id;
  const res = await store.record({
    kind: 'dataset',
    name,
    message: input.message,
    date: input.date,
    code: input.code,
    env: 'none',
    parentIds: [{ role: 'manifest', id: manifest }],
    extra: { digest: data.digest, file_count: data.files.length, size: data.size, paths: data.paths, ...(data.outside ? { outside_project: true } : {}) },
  });
  return { id: res.id, manifest, name, version: res.record.version ?? 1, reused: false, outside: data.outside, files: data.files.length, size: data.size, digest: data.digest };
}

/** `--data X`: an existing file or folder is hashed into a dataset; anything else is a ref. */
export async function resolveData(store: Store, arg: string, progress = false): Promise<string> {
  if (fs.existsSync(path.resolve(store.cwd, arg))) {
    return (await recordDataset(store, { paths: [arg], progress })).id;
  }
  try {
    return store.resolve(arg, { kind: 'dataset' });
  } catch (e) {
    if (e instanceof MlmetaError && (e.code === 'E_NOT_FOUND' || e.code === 'E_BAD_REF')) {
      throw new MlmetaError('E_NOT_FOUND', `${arg} is neither a file or folder nor a dataset ref`);
    }
    throw e;
  }
}


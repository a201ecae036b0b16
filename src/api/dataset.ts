// Datasets from files: hash the paths into a `manifest` record (the file list, pure
// content) and a `dataset` record (digest, counts, excludes, the manifest as parent).
// Recording data identical to the line's current head returns that version instead of a
// new one. Like every record, a dataset is prepared first (hashed and validated in memory,
// nothing written) and committed later, so `record --data`/`run --input` write their
// datasets only once the whole record set is known to be valid.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { hashPaths, recordedPath, type HashedData } from '../capture/data-files.js';
import type { GitFacts } from '../capture/git.js';
import { StatCache } from '../capture/stat-cache.js';
import { manifestBody, manifestBytes } from '../capture/manifest.js';
import { sha256Hex } from '../store/objects.js';
import { captureGitFor, commitRecord, prepareRecord, type PreparedRecord } from './record.js';
import type { Store } from './store.js';

export interface DatasetInput {
  paths: string[];
  name?: string;
  exclude?: string[];
  message?: string;
  date?: string | Date;
  code?: string;
  progress?: boolean;
  /** git facts captured beforehand (or being captured while the files are hashed) */
  git?: GitFacts | Promise<GitFacts>;
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
  /** things to tell the user (e.g. an empty folder git will not keep) */
  warnings: string[];
}

export async function hashData(store: Store, paths: string[], exclude: string[] = [], progress = false): Promise<HashedData> {
  return hashPaths(paths, { projectRoot: store.layout.project, cwd: store.cwd, exclude, cache: new StatCache(store.layout.cache), progress });
}

/** A folder's file list as a manifest: its canonical bytes and id, computed without writing. */
export function manifestOf(data: HashedData): { id: string; bytes: Buffer } {
  const bytes = manifestBytes(data.digest, data.files);
  return { id: sha256Hex(bytes), bytes };
}

/** A dataset hashed and validated in memory; commitDataset writes it. */
export interface PreparedDataset {
  name: string;
  data: HashedData;
  exclude: string[];
  /**
   * The manifest and the record naming it. When the line's head already held this data
   * (its digest and excludes), the manifest is not built (the canonical YAML of a big file
   * list is most of a re-check): `bytes` is absent and the record names the head's
   * manifest; commitDataset then reuses the head, or builds both if the head moved since.
   */
  manifest: { id: string; bytes?: Buffer };
  record: PreparedRecord;
  /** Build the manifest and the record on it (the same input: it was valid when prepared). */
  build: () => { manifest: { id: string; bytes: Buffer }; record: PreparedRecord };
  warnings: string[];
}

/** The line's single head when it holds exactly this data (digest and excludes). */
function unchangedHead(store: Store, name: string, digest: string, exclude: string[]): { id: string; manifest: string; version: number } | undefined {
  const graph = store.graph();
  const heads = graph.heads('dataset', name);
  const head = heads.length === 1 ? graph.full(heads[0]!) : undefined;
  if (!head || head.digest !== digest || !sameList(head.exclude, exclude)) return undefined;
  const manifest = (head.parents ?? []).find((p) => p.role === 'manifest')?.id ?? '';
  return { id: heads[0]!, manifest, version: head.version ?? 1 };
}


export async function prepareDataset(store: Store, input: DatasetInput): Promise<PreparedDataset> {
  if (input.paths.length === 0) throw new MlmetaError('E_BAD_INPUT', 'record dataset needs at least one file or folder');
  const exclude = input.exclude ?? [];
  const data = await hashData(store, input.paths, exclude, input.progress);
  let name = input.name;
  if (name === undefined) {
    if (data.paths.length !== 1 || data.outside) {
      throw new MlmetaError('E_BAD_INPUT', 'name the dataset with --name (several paths, or a path outside the project)');
    }
    name = data.paths[0] === '.' ? path.basename(store.layout.project) : data.paths[0]!;
  }
  const warnings = data.emptyFolders.map((f) => `${f} holds no files: git does not keep an empty folder, so a clone will not have it`);
  const git = await (input.git ?? captureGitFor(store, input));
  const recordOn = (manifestId: string) => prepareRecord(store, {
    kind: 'dataset',
    name,
    message: input.message,
    date: input.date,
    code: input.code,
    env: 'none',
    git,
    parentIds: [{ role: 'manifest', id: manifestId }],
    extra: {
      digest: data.digest,
      file_count: data.count,
      size: data.size,
      paths: data.paths,
      // kept so `status` can leave out what the dataset left out
      ...(exclude.length ? { exclude } : {}),
      ...(data.outside ? { outside_project: true } : {}),
    },
  });
  const build = () => {
    const manifest = manifestOf(data);
    return { manifest, record: recordOn(manifest.id) };
  };
  const head = unchangedHead(store, name, data.digest, exclude);
  // Prepared either way, so a bad flag is refused whether or not the data changed.
  const prepared = head?.manifest ? { manifest: { id: head.manifest }, record: recordOn(head.manifest) } : build();
  return { name, data, exclude, ...prepared, build, warnings: [...warnings, ...prepared.record.warnings] };
}

function sameList(a: unknown, b: string[]): boolean {
  return JSON.stringify(Array.isArray(a) ? a : []) === JSON.stringify(b);
}

/** Write a prepared dataset (manifest, then the next version), or reuse an identical head. */
export function commitDataset(store: Store, prep: PreparedDataset): DatasetResult {
  return store.withWriteLock(() => {
    const { data, name } = prep;
    const counts = { outside: data.outside, files: data.count, size: data.size, digest: data.digest, warnings: prep.warnings };
    const head = unchangedHead(store, name, data.digest, prep.exclude);
    if (head) return { id: head.id, manifest: head.manifest, name, version: head.version, reused: true, ...counts };
    // The head moved since prepareDataset (another writer): build the manifest now.
    const { manifest, record } = prep.manifest.bytes ? { manifest: { id: prep.manifest.id, bytes: prep.manifest.bytes }, record: prep.record } : prep.build();
    store.writeRecordBytes(manifest.bytes, manifestBody(data)); // its body: no parse back for the index
    const res = commitRecord(store, record);
    return { id: res.id, manifest: manifest.id, name, version: res.record.version ?? 1, reused: false, ...counts };
  });
}

export async function recordDataset(store: Store, input: DatasetInput): Promise<DatasetResult> {
  return commitDataset(store, await prepareDataset(store, input));
}

/** A `--data`/`--input` argument, resolved or hashed but not yet written. */
export type PreparedData = { ref: string; warnings: string[] } | { dataset: PreparedDataset; warnings: string[] };

export interface DataOptions {
  git: GitFacts | Promise<GitFacts>;
  code?: string;
  date?: string | Date;
  progress?: boolean;
}

/**
 * `--data X`/`--input X`: an existing file or folder is hashed into a dataset (named by its
 * path in the project; a path outside the project is named by its last segment, with a
 * warning — these flags have no way to pass --name); anything else is a dataset ref.
 */
/**
 * A default name must not take over an unrelated line: outside data named `data` would
 * otherwise become the next version of the project's own `data` dataset.
 */
function refuseForeignLine(store: Store, name: string, abs: string): void {
  const graph = store.graph();
  for (const head of graph.heads('dataset', name)) {
    const paths = graph.full(head)?.paths;
    if (!Array.isArray(paths) || paths.length !== 1 || paths[0] !== abs) {
      throw new MlmetaError('E_BAD_INPUT', `${abs} is outside the project and its default name ${JSON.stringify(name)} is already a dataset of other files; record it first with \`mlmeta record dataset --name NAME ${abs}\` and pass NAME`);
    }
  }
}

export async function prepareData(store: Store, arg: string, opts: DataOptions): Promise<PreparedData> {
  const abs = path.resolve(store.cwd, arg);
  if (fs.existsSync(abs)) {
    const { outside } = recordedPath(store.layout.project, abs);
    const name = outside ? path.basename(abs) : undefined;
    if (name !== undefined) refuseForeignLine(store, name, abs);
    const dataset = await prepareDataset(store, { paths: [arg], name, progress: opts.progress, git: opts.git, code: opts.code, date: opts.date });
    const warnings = [...dataset.warnings];
    if (outside) {
      warnings.unshift(`${arg} is outside the project: recorded as dataset ${JSON.stringify(name)} (its last path segment); to choose the name, record it first with \`mlmeta record dataset --name NAME ${arg}\` and pass NAME`);
    }
    return { dataset, warnings };
  }
  try {
    return { ref: store.resolve(arg, { kind: 'dataset' }), warnings: [] };
  } catch (e) {
    if (e instanceof MlmetaError && (e.code === 'E_NOT_FOUND' || e.code === 'E_BAD_REF')) {
      throw new MlmetaError('E_NOT_FOUND', `${arg} is neither a file or folder nor a dataset ref`);
    }
    throw e;
  }
}

/** Write a prepared `--data` argument (under the caller's write lock); its dataset id. */
export function commitData(store: Store, d: PreparedData): { id: string } {
  return 'ref' in d ? { id: d.ref } : { id: commitDataset(store, d.dataset).id };
}

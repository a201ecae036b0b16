// Making a record, in two steps so that a failure leaves the store as it was:
//   prepare — resolve parents, hash artifacts, capture code state, author and environment,
//             build and validate the body: everything that can fail on the caller's input,
//             and nothing written;
//   commit  — under the store's write lock: read the line's current head(s), link them as
//             `previous`, number the version, write the canonical bytes.
// Callers that make several records (datasets + record, run + model) prepare them all,
// then commit them all inside one withWriteLock.
import { dateBound } from '../records/dates.js';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { captureGit, captureGitAsync, codeReading, resolveCommit, type GitFacts } from '../capture/git.js';
import { captureEnvironment } from '../capture/environment.js';
import { hashFile } from '../capture/hash-file.js';
import type { Mapping } from '../capture/values.js';
import { checkKind, checkName, isVersioned, ROLE_RE, validateRecord, type Artifact, type CodeState, type Parent, type RecordBody } from '../records/record.js';
import { redactSecrets, redactText } from '../records/secrets.js';
import { canonicalYaml, normalise } from '../records/yaml.js';
import { relativeInside } from '../store/paths.js';
import { sqlite } from '../lazy-deps.js';
import { commitData, prepareData, type PreparedData } from './dataset.js';
import type { Store } from './store.js';

export interface ParentRef {
  role: string;
  ref: string;
}

export interface RecordInput {
  kind: string;
  name?: string;
  params?: Mapping;
  metrics?: Mapping;
  parents?: ParentRef[];
  /** datasets, linked with role `data`: a ref, or an existing file/folder (hashed into a dataset) */
  data?: string[];
  /** files to hash into `artifacts` */
  artifacts?: string[];
  /** artifacts already hashed */
  artifactEntries?: Artifact[];
  message?: string;
  /** 'auto' (default) reads git; 'none' records no code; anything else is a commit to resolve */
  code?: 'auto' | 'none' | string;
  /** fixes `created`; defaults to SOURCE_DATE_EPOCH or now */
  date?: string | Date;
  /** fixes `author`; defaults to MLMETA_AUTHOR or git's user */
  author?: string;
  /** 'auto' captures OS, Node and Python facts; 'none' skips them. Default: auto except for datasets */
  env?: 'auto' | 'none';
  /** `--env KEY=VALUE` additions */
  envExtra?: Record<string, string>;
  /** further fields, kept as given (e.g. `digest` of a dataset, `alias` of an alias) */
  extra?: Record<string, unknown>;
  /** extra parents already resolved to ids */
  parentIds?: Parent[];
  /** git facts captured beforehand (Store.record and run capture them concurrently) */
  git?: GitFacts;
}

/** git facts with the warnings helper "capture" adds (e.g. a refused repository); see ISSUE15 §5. */
export type GitFactsWithWarnings = GitFacts & { warnings?: string[] };

export interface RecordResult {
  id: string;
  record: RecordBody;
  /** false when identical bytes were already stored */
  created: boolean;
  /** things the caller should tell the user (e.g. redacted secrets) */
  warnings: string[];
}

/** `--parent role=REF` or `--parent REF` (role `input`). */
export function parseParentArg(arg: string): ParentRef {
  const eq = arg.indexOf('=');
  if (eq > 0 && ROLE_RE.test(arg.slice(0, eq))) return { role: arg.slice(0, eq), ref: arg.slice(eq + 1) };
  return { role: 'input', ref: arg };
}

export function timestamp(date: string | Date | undefined, env: NodeJS.ProcessEnv): string {
  if (date !== undefined) {
    if (date instanceof Date) {
      if (Number.isNaN(date.getTime())) throw new MlmetaError('E_BAD_INPUT', 'bad date');
      return date.toISOString();
    }
    // `2026` is a year, as in `find --since` (its first moment), not 2026 seconds after 1970.
    return dateBound(date, '--date').start;
  }
  const sde = env.SOURCE_DATE_EPOCH;
  if (sde !== undefined && sde !== '') {
    if (!/^\d+$/.test(sde)) throw new MlmetaError('E_BAD_INPUT', `SOURCE_DATE_EPOCH must be whole seconds, not ${JSON.stringify(sde)}`);
    return new Date(Number(sde) * 1000).toISOString();
  }
  return new Date().toISOString();
}

function artifactOf(store: Store, file: string): Artifact {
  const abs = path.resolve(store.cwd, file);
  const { sha256, size } = hashFile(abs);
  const rel = relativeInside(store.layout.project, abs);
  return { path: rel !== undefined && rel !== '' ? rel.split(path.sep).join('/') : abs, sha256, size };
}

/** Whether git must be asked who the author is. */
export function needsAuthor(input: { author?: string }, env: NodeJS.ProcessEnv): boolean {
  return input.author === undefined && env.MLMETA_AUTHOR === undefined;
}

/** git facts for a record made from the current folder (ISSUE15 §4: where the command runs, not the store's folder). */
export function captureGitFor(store: Store, input: { code?: string; author?: string }): Promise<GitFacts> {
  return captureGitAsync(gitOptions(store, input));
}

/**
 * Load the index's native module (better-sqlite3, ~30 ms of CPU) while git runs on the other
 * core: writing a versioned record opens the index for the line's heads. Only the loading; a
 * failure is left to the real open, which reports it.
 */
export function preloadIndex(kind: string): void {
  if (!isVersioned(kind)) return;
  try {
    sqlite();
  } catch {
    // the index's own open says what is wrong
  }
}

/** What to ask git, and where: the work tree the command runs in, leaving the store's own folder out. */
function gitOptions(store: Store, input: { code?: string; author?: string }) {
  return { cwd: store.cwd, storeRoot: store.layout.root, ...codeReading(input.code), needAuthor: needsAuthor(input, store.env), env: store.env };
}

/** A record built and validated in memory, waiting for its version number and `previous` links. */
export interface PreparedRecord {
  kind: string;
  name?: string;
  /** the body without `version` and `parents` */
  body: Record<string, unknown>;
  /** parents known now (given ids and resolved refs); commit adds data, previous and the like */
  parents: Parent[];
  warnings: string[];
}

/**
 * The checks that need nothing but the caller's input: kind, name, parent refs, params,
 * metrics, env additions, date, message, commit. `run` calls this for both of its records
 * before the command starts, so a bad flag never costs a training run.
 */
export function checkRecordInput(store: Store, input: RecordInput): { parents: Parent[]; created: string; commit?: string } {
  checkKind(input.kind);
  if (input.kind === 'alias' && input.extra?.alias === undefined) {
    throw new MlmetaError('E_BAD_INPUT', 'alias records are made with `mlmeta alias`');
  }
  if (input.name !== undefined) checkName(input.name);
  if (isVersioned(input.kind) && input.name === undefined) throw new MlmetaError('E_BAD_INPUT', `a ${input.kind} record needs --name`);
  const parents: Parent[] = [...(input.parentIds ?? [])];
  for (const p of input.parents ?? []) {
    if (!ROLE_RE.test(p.role)) throw new MlmetaError('E_BAD_INPUT', `bad parent role ${JSON.stringify(p.role)}`);
    parents.push({ role: p.role, id: store.resolve(p.ref) });
  }
  const created = timestamp(input.date, store.env);
  const codeMode = input.code ?? 'auto';
  const commit = codeReading(codeMode).withCode || codeMode === 'none' ? undefined : resolveCommit(store.cwd, codeMode, store.env);
  // The body as far as the input decides it, through the same normalise + validate as the
  // real one (non-finite numbers, non-numeric metrics, bad field types).
  validateRecord(
    normalise({ ...(input.extra ?? {}), mlmeta: 1, kind: input.kind, name: input.name, version: isVersioned(input.kind) ? 1 : undefined, created, params: input.params, metrics: input.metrics, env: input.envExtra, message: input.message }, 'record'),
    'E_BAD_INPUT',
    'the new record',
  );
  return { parents, created, commit };
}

/** Build and validate a record in memory (see the header). Hashes artifacts; writes nothing. */
export function prepareRecord(store: Store, input: RecordInput): PreparedRecord {
  const warnings: string[] = [];
  const { parents, created, commit } = checkRecordInput(store, input);
  const artifacts = [...(input.artifactEntries ?? []), ...(input.artifacts ?? []).map((f) => artifactOf(store, f))];

  const env = store.env;
  const codeMode = input.code ?? 'auto';
  const git: GitFactsWithWarnings = input.git ?? captureGit(gitOptions(store, input));
  if (codeMode !== 'none') warnings.push(...(git.warnings ?? []));
  let code: CodeState | undefined = git.code;
  if (codeMode === 'none') code = undefined;
  else if (commit !== undefined) code = { commit };
  const gitAuthor = git.userName ? (git.userEmail ? `${git.userName} <${git.userEmail}>` : git.userName) : undefined;
  const author = input.author ?? env.MLMETA_AUTHOR ?? gitAuthor;
  const params = input.params ? structuredClone(input.params) : undefined;
  for (const hit of params ? redactSecrets(params) : []) warnings.push(`param ${hit} looks like a secret; its value was not recorded`);
  const envExtra = { ...(input.envExtra ?? {}) };
  for (const hit of redactSecrets(envExtra)) warnings.push(`env ${hit} looks like a secret; its value was not recorded`);
  let message = input.message;
  if (message !== undefined) {
    const m = redactText(message);
    for (const h of m.hits) warnings.push(`message: redacted ${h}; it was not recorded`);
    message = m.text;
  }
  const envMode = input.env ?? (input.kind === 'dataset' ? 'none' : 'auto');
  const environment = envMode === 'auto' ? captureEnvironment(store.layout.cache, env, envExtra) : Object.keys(envExtra).length ? envExtra : undefined;

  const body: Record<string, unknown> = {
    ...(input.extra ?? {}),
    mlmeta: 1,
    kind: input.kind,
    name: input.name,
    created,
    author,
    code,
    params: params && Object.keys(params).length ? params : undefined,
    metrics: input.metrics && Object.keys(input.metrics).length ? input.metrics : undefined,
    artifacts: artifacts.length ? artifacts : undefined,
    env: environment,
    message,
  };
  const prepared: PreparedRecord = { kind: input.kind, name: input.name, body, parents, warnings };
  // Validate now, with the version commit will give it standing in: commit cannot fail on content.
  finalRecord(prepared, [], isVersioned(input.kind) ? 1 : undefined);
  return prepared;
}

function finalRecord(prep: PreparedRecord, parents: Parent[], version: number | undefined): RecordBody {
  const all = dedupeParents(parents);
  const body = { ...prep.body, version, parents: all.length ? all : undefined };
  return validateRecord(normalise(body, 'record'), 'E_BAD_INPUT', 'the new record');
}

/** Parents known only at commit time, in record order: `before` (e.g. the run of a model), the prepared ones, then `data`. */
export interface LateParents {
  before?: Parent[];
  data?: string[];
}

/**
 * Write a prepared record as the next version of its line (or as it is, for unversioned
 * kinds). Takes the write lock (re-entrant): the heads are read from disk under it.
 */
export function commitRecord(store: Store, prep: PreparedRecord, late: LateParents = {}): RecordResult {
  return store.withWriteLock(() => {
    const parents: Parent[] = [...(late.before ?? []), ...prep.parents, ...(late.data ?? []).map((id) => ({ role: 'data', id }))];
    let version: number | undefined;
    if (isVersioned(prep.kind)) {
      const graph = store.graph();
      const heads = graph.heads(prep.kind, prep.name!);
      for (const id of heads) parents.push({ role: 'previous', id });
      version = 1 + Math.max(0, ...heads.map((id) => graph.get(id)?.version ?? 0));
    }
    const record = finalRecord(prep, parents, version);
    const { id, created } = store.writeRecordBytes(Buffer.from(canonicalYaml(record), 'utf8'));
    return { id, record, created, warnings: prep.warnings };
  });
}

/** Build and write a record; `data` must already be resolved to dataset ids (see Store.record). */
export function createRecord(store: Store, input: RecordInput, dataIds: string[] = []): RecordResult {
  return commitRecord(store, prepareRecord(store, input), { data: dataIds });
}

/**
 * Store.record: hash every `data` path into a dataset and prepare the record — all checked,
 * nothing written — then write the datasets and the record under one lock.
 */
export async function recordWithData(store: Store, input: RecordInput): Promise<RecordResult> {
  const gitFacts = input.git ?? captureGitFor(store, input);
  if (input.git === undefined) preloadIndex(input.kind);
  const git = await gitFacts;
  const data: PreparedData[] = [];
  for (const d of input.data ?? []) data.push(await prepareData(store, d, { git, code: input.code, date: input.date }));
  const prep = prepareRecord(store, { ...input, git });
  return store.withWriteLock(() => {
    const dataIds = data.map((d) => commitData(store, d).id);
    const res = commitRecord(store, prep, { data: dataIds });
    return { ...res, warnings: [...new Set([...data.flatMap((d) => d.warnings), ...res.warnings])] };
  });
}

function dedupeParents(parents: Parent[]): Parent[] {
  const seen = new Set<string>();
  return parents.filter((p) => {
    const key = `${p.role}\u0000${p.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

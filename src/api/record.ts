// Making a record: resolve parents, link the current head(s) of the version line as
// `previous`, capture code state and author, validate, write the canonical bytes.
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { captureGit, resolveCommit, type GitFacts } from '../capture/git.js';
import { captureEnvironment } from '../capture/environment.js';
import { hashFile } from '../capture/hash-file.js';
import type { Mapping } from '../capture/values.js';
import { checkKind, checkName, isVersioned, ROLE_RE, validateRecord, type Artifact, type CodeState, type Parent, type RecordBody } from '../records/record.js';
import { redactSecrets } from '../records/secrets.js';
import { canonicalYaml, normalise } from '../records/yaml.js';
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
    const d = date instanceof Date ? date : new Date(/^\d+$/.test(date) ? Number(date) * 1000 : date);
    if (Number.isNaN(d.getTime())) throw new MlmetaError('E_BAD_INPUT', `bad date ${JSON.stringify(String(date))}: use ISO-8601 or seconds since 1970`);
    return d.toISOString();
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
  const rel = path.relative(store.layout.project, abs);
  const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  return { path: inside ? rel.split(path.sep).join('/') : abs, sha256, size };
}

/** Whether git must be asked who the author is. */
export function needsAuthor(input: RecordInput, env: NodeJS.ProcessEnv): boolean {
  return input.author === undefined && env.MLMETA_AUTHOR === undefined;
}

/** Build and write a record; `data` must already be resolved to dataset ids (see Store.record). */
export function createRecord(store: Store, input: RecordInput, dataIds: string[] = []): RecordResult {
  const warnings: string[] = [];
  checkKind(input.kind);
  if (input.kind === 'alias' && input.extra?.alias === undefined) {
    throw new MlmetaError('E_BAD_INPUT', 'alias records are made with `mlmeta alias`');
  }
  const versioned = isVersioned(input.kind);
  if (input.name !== undefined) checkName(input.name);
  if (versioned && input.name === undefined) throw new MlmetaError('E_BAD_INPUT', `a ${input.kind} record needs --name`);

  // Resolve everything that can fail before anything is written.
  const parents: Parent[] = [...(input.parentIds ?? [])];
  for (const p of input.parents ?? []) {
    if (!ROLE_RE.test(p.role)) throw new MlmetaError('E_BAD_INPUT', `bad parent role ${JSON.stringify(p.role)}`);
    parents.push({ role: p.role, id: store.resolve(p.ref) });
  }
  for (const id of dataIds) parents.push({ role: 'data', id });
  let version: number | undefined;
  if (versioned && input.name !== undefined) {
    const heads = store.graph().heads(input.kind, input.name);
    for (const id of heads) parents.push({ role: 'previous', id });
    version = 1 + Math.max(0, ...heads.map((id) => store.graph().get(id)?.version ?? 0));
  }
  const artifacts = [...(input.artifactEntries ?? []), ...(input.artifacts ?? []).map((f) => artifactOf(store, f))];

  const env = store.env;
  const codeMode = input.code ?? 'auto';
  const git = input.git ?? captureGit(store.layout.project, codeMode === 'auto', needsAuthor(input, env));
  let code: CodeState | undefined = git.code;
  if (codeMode === 'none') code = undefined;
  else if (codeMode !== 'auto') code = { commit: resolveCommit(store.layout.project, codeMode) };
  const gitAuthor = git.userName ? (git.userEmail ? `${git.userName} <${git.userEmail}>` : git.userName) : undefined;
  const author = input.author ?? env.MLMETA_AUTHOR ?? gitAuthor;
  const params = input.params ? structuredClone(input.params) : undefined;
  for (const hit of params ? redactSecrets(params) : []) warnings.push(`param ${hit} looks like a secret; its value was not recorded`);
  const envExtra = { ...(input.envExtra ?? {}) };
  for (const hit of redactSecrets(envExtra)) warnings.push(`env ${hit} looks like a secret; its value was not recorded`);
  const envMode = input.env ?? (input.kind === 'dataset' ? 'none' : 'auto');
  const environment = envMode === 'auto' ? captureEnvironment(store.layout.cache, env, envExtra) : Object.keys(envExtra).length ? envExtra : undefined;

  const body: Record<string, unknown> = {
    ...(input.extra ?? {}),
    mlmeta: 1,
    kind: input.kind,
    name: input.name,
    version,
    created: timestamp(input.date, env),
    author,
    parents: dedupeParents(parents),
    code,
    params: params && Object.keys(params).length ? params : undefined,
    metrics: input.metrics && Object.keys(input.metrics).length ? input.metrics : undefined,
    artifacts: artifacts.length ? artifacts : undefined,
    env: environment,
    message: input.message,
  };
  if ((body.parents as Parent[]).length === 0) delete body.parents;
  const record = validateRecord(normalise(body, 'record'), 'E_BAD_INPUT', 'the new record');
  const { id, created } = store.writeRecordBytes(Buffer.from(canonicalYaml(record), 'utf8'));
  return { id, record, created, warnings };
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

// `mlmeta run -- CMD…`: check every flag, hash the inputs, run the command (output
// streamed, signals forwarded), check and hash the outputs, then record a `run` and — with
// a model name and a zero exit — the next version of the model.
//
// Nothing is written before the command ends, and nothing at all unless the whole record
// set is valid: names (the run's `-run` suffix included), params, metric flags and output
// arguments are checked before the command starts, inputs are hashed into datasets in
// memory, and datasets, output manifests, run and model are written together at the end
// under the store's write lock. A command that exits non-zero is recorded as a failed run;
// a command that cannot start is not a run and leaves the store as it was.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { execute, type ExecuteStdio } from '../capture/execute.js';
import { readMappingFile, mergeMappings, type Mapping } from '../capture/values.js';
import { hashFile } from '../capture/hash-file.js';
import { recordedPath } from '../capture/data-files.js';
import { checkNumbers, type Artifact, type Parent } from '../records/record.js';
import { normalise } from '../records/yaml.js';
import { isInside } from '../store/paths.js';
import { commitData, hashData, manifestOf, prepareData, type PreparedData } from './dataset.js';
import { captureGitFor, checkRecordInput, commitRecord, preloadIndex, prepareRecord, type RecordInput } from './record.js';
import { redactCommand } from '../records/secrets.js';
import type { Store } from './store.js';
import { openRunDir, RunLog, type Logged } from '../capture/protocol.js';
import { conflictMessage, foldLog, foldOutputs } from './run-log.js';

export interface RunInput {
  command: string[];
  model?: string;
  name?: string;
  inputs?: string[];
  outputs?: string[];
  paramsFile?: string;
  params?: Mapping;
  metricsFile?: string;
  metrics?: Mapping;
  message?: string;
  env?: 'auto' | 'none';
  envExtra?: Record<string, string>;
  code?: string;
  progress?: boolean;
  /**
   * where the command's output goes: inherited (streamed; the default), ignored, or
   * 'stderr': the command's stdout goes to mlmeta's stderr, keeping stdout for `--json`
   */
  stdio?: ExecuteStdio;
}

export interface RunResult {
  run: string;
  model?: string;
  exitCode: number;
  signal?: string;
  durationSeconds: number;
  warnings: string[];
}

/** A folder output: every entry's identity, so "written by the command" means anything changed. */
function folderStamp(dir: string): string {
  const h = createHash('sha256');
  // names as bytes: a name that is not UTF-8 does not survive a trip through text (its path
  // would name no file)
  const walk = (d: Buffer, rel: Buffer) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true, encoding: 'buffer' }).sort((a, b) => Buffer.compare(a.name, b.name))) {
      if (NOT_OUTPUT.some((n) => n.equals(e.name))) continue;
      const p = Buffer.concat([d, SLASH, e.name]);
      let st: fs.Stats;
      try {
        st = fs.statSync(p); // a symlinked file counts by what it points to, as it is hashed
      } catch {
        st = fs.lstatSync(p);
      }
      h.update(rel).update(e.name).update(`\0${st.mtimeMs}\0${st.ctimeMs}\0${st.ino}\0${st.size}\n`);
      if (e.isDirectory()) walk(p, Buffer.concat([rel, e.name, SLASH]));
    }
  };
  walk(Buffer.from(dir), Buffer.alloc(0));
  return h.digest('hex');
}
const NOT_OUTPUT = [Buffer.from('.git'), Buffer.from('.mlmeta')];
const SLASH = Buffer.from('/');

/** What an output path is now, as a string that changes whenever the command writes it. */
function stampOf(abs: string): { kind: 'none' | 'file' | 'folder' | 'other'; stamp: string } {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    return { kind: 'none', stamp: '' };
  }
  const self = `${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
  if (st.isFile()) return { kind: 'file', stamp: self };
  if (st.isDirectory()) return { kind: 'folder', stamp: `${st.ino}:${folderStamp(abs)}` };
  return { kind: 'other', stamp: self };
}

interface PlannedOutput {
  given: string;
  abs: string;
  before?: ReturnType<typeof stampOf>;
}

/** The output arguments, checked before the command starts. */
function planOutputs(store: Store, outputs: string[]): PlannedOutput[] {
  const seen = new Set<string>();
  return outputs.map((given) => {
    const abs = path.resolve(store.cwd, given);
    if (isInside(store.layout.root, abs) || isInside(abs, store.layout.root)) {
      throw new MlmetaError('E_BAD_INPUT', `output ${given} is or holds the mlmeta store (${path.relative(store.cwd, store.layout.root) || '.'}); name the file or folder the command writes`);
    }
    if (seen.has(abs)) throw new MlmetaError('E_BAD_INPUT', `output ${given} is given twice`);
    seen.add(abs);
    if (stampOf(abs).kind === 'other') throw new MlmetaError('E_BAD_INPUT', `output ${given} is not a regular file or folder (a FIFO, socket or device?)`);
    return { given, abs };
  });
}

/** Hash an output after the command: a file, or a folder hashed like a dataset into a manifest. */
async function hashOutput(store: Store, o: PlannedOutput): Promise<{ artifact: Artifact; manifest?: { id: string; bytes: Buffer } }> {
  const now = stampOf(o.abs);
  const b = o.before!;
  if (now.kind === 'none') throw new MlmetaError('E_OUTPUT', `output ${o.given} does not exist after the command; nothing was recorded`);
  if (b.kind !== 'none' && now.kind === b.kind && now.stamp === b.stamp) {
    throw new MlmetaError('E_OUTPUT', `output ${o.given} was not written by the command (unchanged since before it ran); nothing was recorded`);
  }
  const recorded = recordedPath(store.layout.project, o.abs).path;
  if (now.kind === 'file') {
    const h = hashFile(o.abs);
    return { artifact: { path: recorded, sha256: h.sha256, size: h.size } };
  }
  if (now.kind !== 'folder') throw new MlmetaError('E_OUTPUT', `output ${o.given} is not a regular file or folder; nothing was recorded`);
  const data = await hashData(store, [o.abs]);
  const manifest = manifestOf(data);
  // `sha256` of a folder is its dataset-style digest (the sha256sum listing of its files).
  return { artifact: { path: recorded, sha256: data.digest, size: data.size, file_count: data.count, manifest: manifest.id } as Artifact, manifest };
}


/** Where and how the command ran, beyond its argv: paths relative to the project; override keys only (their values are in params, redacted if secret). */
function invocationOf(store: Store, input: RunInput): Record<string, unknown> {
  const rel = (p: string) => recordedPath(store.layout.project, path.resolve(store.cwd, p)).path;
  const overrides = Object.keys(input.params ?? {});
  return { cwd: rel('.'), ...(input.paramsFile ? { params_file: rel(input.paramsFile) } : {}), ...(overrides.length ? { param_overrides: overrides } : {}), ...(input.metricsFile ? { metrics_file: rel(input.metricsFile) } : {}) };
}

/** The command line as recorded: secret-looking option values and URLs redacted (the command runs as given). */
function commandToRecord(command: string[], warnings: string[]): string[] {
  const { argv, hits } = redactCommand(command);
  for (const h of hits) warnings.push(`command argument ${h} looks like a secret; its value was not recorded`);
  return argv;
}

/** How often the command's log folder is read while it runs. */
const POLL_MS = 100;

export async function runCommand(store: Store, input: RunInput): Promise<RunResult> {
  if (input.command.length === 0) throw new MlmetaError('E_USAGE', 'give the command after --, e.g. mlmeta run -- python train.py');
  const warnings: string[] = [];
  // The code state is the one the command starts from; git runs while the inputs are hashed,
  // and one look serves every record.
  const gitFacts = captureGitFor(store, { code: input.code });
  gitFacts.catch(() => undefined); // awaited below; a refusal before then must not go unhandled
  preloadIndex('run');

  // Everything the user gave is checked before the command starts.
  const runName = input.name ?? (input.model ? `${input.model}-run` : 'run');
  const params = mergeMappings(input.paramsFile ? readMappingFile(path.resolve(store.cwd, input.paramsFile), 'params') : {}, input.params ?? {});
  const common = { env: input.env, envExtra: input.envExtra, code: input.code, message: input.message, params };
  checkRecordInput(store, { ...common, kind: 'run', name: runName, metrics: input.metrics });
  if (input.model !== undefined) checkRecordInput(store, { ...common, kind: 'model', name: input.model, metrics: input.metrics });
  const outputs = planOutputs(store, input.outputs ?? []);
  const data: PreparedData[] = [];
  for (const i of input.inputs ?? []) data.push(await prepareData(store, i, { git: gitFacts, code: input.code, progress: input.progress }));
  for (const d of data) warnings.push(...d.warnings);
  const git = await gitFacts;
  for (const o of outputs) o.before = stampOf(o.abs);

  const started = new Date();
  const t0 = process.hrtime.bigint();
  // What the command logs itself (docs/PROTOCOL.md) goes to a private folder, read while it
  // runs (10^5 points read during the training, not after it) and once it has ended.
  const logDir = openRunDir();
  const log = new RunLog(logDir.dir);
  const polling = setInterval(() => log.poll(), POLL_MS);
  let ran: Awaited<ReturnType<typeof execute>>;
  let logged: Logged;
  try {
    ran = await execute(input.command, store.cwd, input.stdio ?? 'inherit', logDir.env);
    clearInterval(polling);
    logged = log.finish();
  } finally {
    clearInterval(polling);
    logDir.remove();
  }
  const { code, signal } = ran;
  const durationSeconds = Math.round(Number(process.hrtime.bigint() - t0) / 1e6) / 1000;

  const artifacts: Artifact[] = [];
  const manifests: Array<{ id: string; bytes: Buffer }> = [];
  let metrics: Mapping = input.metrics ?? {};
  if (code === 0) {
    for (const o of outputs) {
      const h = await hashOutput(store, o);
      artifacts.push(h.artifact);
      if (h.manifest) manifests.push(h.manifest);
    }
  }
  // The command has run (maybe for hours): a missing or unreadable metrics file loses its
  // metrics, with a warning, never the run itself.
  if (input.metricsFile && (code === 0 || fs.existsSync(path.resolve(store.cwd, input.metricsFile)))) {
    try {
      const fromFile = readMappingFile(path.resolve(store.cwd, input.metricsFile), 'metrics');
      checkNumbers(normalise(fromFile, 'metrics'), 'metrics');
      metrics = mergeMappings(fromFile, metrics);
    } catch (e) {
      warnings.push(`metrics file ${input.metricsFile} not recorded: ${e instanceof MlmetaError ? e.message : String(e)}`);
    }
  }

  const fold = await foldLog(store, logged, { params, metrics, git, code: input.code, progress: input.progress });
  // (loops, not push(...): a command can log 10^5 paths, and as many warnings, artifacts and
  // datasets; spreading them overflows the call stack)
  const append = <T>(into: T[], from: readonly T[]) => {
    for (const x of from) into.push(x);
  };
  append(warnings, fold.warnings);
  if (code === 0) {
    const given = outputs.map((o) => o.abs);
    const more = await foldOutputs(store, logged.outputs, given, (abs) => {
      const [o] = planOutputs(store, [abs]);
      return hashOutput(store, { ...o!, before: { kind: 'none', stamp: '' } });
    });
    append(artifacts, more.artifacts);
    append(manifests, more.manifests);
    append(warnings, more.warnings);
  }
  append(data, fold.data);
  const history = Object.keys(fold.history).length ? { history: fold.history } : {};

  const manifestParents: Parent[] = manifests.map((m) => ({ role: 'manifest', id: m.id }));
  const recordCommon: Omit<RecordInput, 'kind'> = { ...common, params: fold.params, metrics: fold.metrics, git };
  const runPrep = prepareRecord(store, {
    ...recordCommon,
    kind: 'run',
    name: runName,
    date: started,
    parentIds: manifestParents,
    extra: {
      command: commandToRecord(input.command, warnings),
      started: started.toISOString(),
      duration_seconds: durationSeconds,
      exit_code: code,
      status: code === 0 ? 'succeeded' : 'failed',
      ...(signal ? { signal } : {}),
      ...(artifacts.length ? { outputs: artifacts } : {}),
      ...(fold.tags ? { tags: fold.tags } : {}),
      ...history,
      ...(fold.conflicts.length ? { param_conflicts: Object.fromEntries(fold.conflicts.map((c) => [c.param, { given: c.given, logged: c.logged }])) } : {}),
      invocation: invocationOf(store, input), // what `mlmeta reproduce` needs to run it again
    },
  });
  // Params in conflict make no model version: which params made it is not known.
  const modelPrep = input.model !== undefined && code === 0 && fold.conflicts.length === 0
    ? prepareRecord(store, { ...recordCommon, kind: 'model', name: input.model, parentIds: manifestParents, artifactEntries: artifacts, extra: history })
    : undefined;

  // All valid: write datasets, output manifests, the run and the model together.
  const result = store.withWriteLock(() => {
    // Open the index first, so what is written below goes in with the rows already known
    // (a 10^5-point series object would otherwise be found and parsed back: ~0.2 s).
    store.graph();
    const dataIds = data.map((d) => commitData(store, d).id);
    for (const m of manifests) store.writeRecordBytes(m.bytes);
    for (const s of fold.series) store.writeRecordBytes(s.bytes, s.indexed);
    const run = commitRecord(store, runPrep, { data: dataIds });
    const model = modelPrep ? commitRecord(store, modelPrep, { before: [{ role: 'run', id: run.id }], data: dataIds }) : undefined;
    warnings.push(...run.warnings, ...(model?.warnings ?? []));
    return { run: run.id, model: model?.id, exitCode: code, ...(signal ? { signal } : {}), durationSeconds, warnings: [...new Set(warnings)] };
  });
  if (fold.conflicts.length) throw new MlmetaError('E_PARAM_CONFLICT', conflictMessage(result.run, fold.conflicts), { run: result.run });
  return result;
}

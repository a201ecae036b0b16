// `mlmeta reproduce REF`: run a recorded run again, exactly as recorded, and say whether the
// same model came out. The recorded commit is checked out in a detached worktree in a temp
// folder; every input file is verified by sha256 against its dataset manifest and placed
// there (from the worktree itself, the work tree, or `--data-from`, found by content); the
// recorded params file is restored; the command runs where it ran; the outputs and metrics
// are compared. Only a finished comparison is recorded (a `reproduction` record): a failed
// or interrupted command, or a refused input, removes the worktree and writes nothing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { execute, type ExecuteStdio } from '../capture/execute.js';
import { captureEnvironment } from '../capture/environment.js';
import { hashPathsSync, type FileEntry } from '../capture/data-files.js';
import { StatCache } from '../capture/stat-cache.js';
import { readMappingFile } from '../capture/values.js';
import { commitRecord, prepareRecord } from '../api/record.js';
import type { Store } from '../api/store.js';
import type { RecordBody } from '../records/record.js';
import { REDACTED } from '../records/secrets.js';
import { canonicalYaml, type Json } from '../records/yaml.js';
import { isInside } from '../store/paths.js';
import { currentHash, datasetFiles, fileUnder, safeRelative } from './inputs.js';
import { flatMetrics, parseTolerances, toleranceFor, within, type Tolerance } from './tolerance.js';
import { addWorktree, commitExists, gitTop, type Worktree } from './worktree.js';

export type Verdict = 'bitwise' | 'within-tolerance' | 'differs';

export interface ReproduceOptions {
  /** a folder searched by content hash for input files not in the work tree */
  dataFrom?: string;
  allowDataDrift?: boolean;
  /** `metrics.auc=0.005`, `auc=5%`, `5%` */
  tolerance?: string[];
  keep?: boolean;
  stdio?: ExecuteStdio;
}

export interface OutputComparison { path: string; recorded: string; now?: string; same: boolean }
export interface MetricComparison { metric: string; recorded: number; now?: number; delta?: number; tolerance?: Tolerance; within: boolean }
export interface DataDrift { path: string; dataset: string; state: 'missing' | 'changed' }
export interface EnvDrift { key: string; recorded: string | number | null; now: string | number | null }

export interface ReproduceResult {
  /** the reproduction record */
  id: string;
  reproduced: string;
  run: string;
  commit: string;
  verdict: Verdict;
  /** the record was made from a dirty work tree: the commit is not exactly what ran */
  approximate: boolean;
  outputs: OutputComparison[];
  metrics: MetricComparison[];
  drift: { env: EnvDrift[]; data: DataDrift[]; params?: string };
  exitCode: number;
  durationSeconds: number;
  /** seconds spent around the command (checkout, inputs, hashing, record) */
  overheadSeconds: number;
  worktree?: string;
  warnings: string[];
}

const ENV_KEYS = ['os', 'arch', 'node', 'python', 'python_packages', 'python_packages_sha256'];

function refuse(msg: string): never {
  throw new MlmetaError('E_REPRODUCE', msg);
}

/** The run that made REF (REF itself when it is a run). */
function runOf(store: Store, id: string): { subject: RecordBody; runId: string; run: RecordBody } {
  const subject = store.read(id);
  if (subject.kind === 'run') return { subject, runId: id, run: subject };
  const p = (subject.parents ?? []).find((x) => x.role === 'run');
  if (!p) refuse(`${subject.kind} ${subject.name ?? id.slice(0, 12)} names no run: nothing records how it was made (record it with mlmeta run)`);
  return { subject, runId: p.id, run: store.read(p.id) };
}

/** Files under `dir` by size, found lazily and hashed only when a size matches. */
function contentFinder(dir: string): (f: FileEntry) => string | undefined {
  let bySize: Map<number, string[]> | undefined;
  const walk = (d: string, into: Map<number, string[]>) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && e.name !== '.git' && e.name !== '.mlmeta') walk(p, into);
      else if (e.isFile()) {
        const size = fs.statSync(p).size;
        into.set(size, [...(into.get(size) ?? []), p]);
      }
    }
  };
  return (f) => {
    if (!bySize) { bySize = new Map(); walk(dir, bySize); }
    return (bySize.get(f.size) ?? []).find((p) => currentHash(Buffer.from(p)) === f.sha256);
  };
}

/** Put every input file in place in the worktree, or list what is missing or changed. */
function placeInputs(store: Store, run: RecordBody, wtProject: string, wt: string, opts: ReproduceOptions): DataDrift[] {
  const drift: DataDrift[] = [];
  const cache = new StatCache(store.layout.cache);
  const fromDir = opts.dataFrom ? contentFinder(path.resolve(store.cwd, opts.dataFrom)) : undefined;
  for (const p of (run.parents ?? []).filter((x) => x.role === 'data')) {
    const ds = datasetFiles(store, p.id);
    for (const f of ds.files) {
      if (!safeRelative(f)) {
        // Recorded outside the project: read where it is, so it can only be checked.
        const h = currentHash(fileUnder('/', f), cache);
        if (h !== f.sha256) drift.push({ path: f.path, dataset: ds.label, state: h === undefined ? 'missing' : 'changed' });
        continue;
      }
      const dest = fileUnder(wtProject, f);
      if (currentHash(dest) === f.sha256) continue; // committed with the code
      const inTree = fileUnder(store.layout.project, f);
      const src = currentHash(inTree, cache) === f.sha256 ? inTree : fromDir?.(f);
      if (src === undefined) {
        drift.push({ path: f.path, dataset: ds.label, state: fs.existsSync(inTree) ? 'changed' : 'missing' });
        if (opts.allowDataDrift && fs.existsSync(inTree)) copyInto(inTree, dest, wt);
        continue;
      }
      copyInto(src, dest, wt);
      if (currentHash(dest) !== f.sha256) drift.push({ path: f.path, dataset: ds.label, state: 'changed' });
    }
  }
  cache.save();
  return drift;
}

/**
 * Make the folder of `file` inside the worktree, one component at a time, refusing a link
 * planted in the checkout (a committed symlink could point anywhere: nothing, not even an
 * empty folder, is made outside). Then whatever is at `file` is removed, so the caller
 * writes a new regular file and never writes through a link.
 */
function prepareWrite(wt: string, file: string, what: string): void {
  const rel = path.relative(wt, path.dirname(file));
  if (rel.startsWith('..') || path.isAbsolute(rel)) refuse(`${what} ${file} would be written outside the worktree`);
  let at = wt;
  for (const part of rel ? rel.split(path.sep) : []) {
    at = path.join(at, part);
    let st: fs.Stats | undefined;
    try { st = fs.lstatSync(at); } catch { st = undefined; }
    if (!st) fs.mkdirSync(at);
    else if (!st.isDirectory()) refuse(`${what} ${file} would be written through ${at}, a symlink or file in the checkout`);
  }
  fs.rmSync(file, { force: true });
}

/** The file at `abs` if it is really inside the worktree (no link out of it); records are untrusted input. */
function insideWorktree(wt: string, abs: string): string | undefined {
  try {
    return isInside(wt, fs.realpathSync(abs)) ? abs : undefined;
  } catch {
    return undefined;
  }
}

/** Copy a file into the worktree, never through a link planted in the checkout. */
function copyInto(src: string | Buffer, dest: Buffer, wt: string): void {
  prepareWrite(wt, dest.toString('utf8'), 'input');
  fs.copyFileSync(src, dest, fs.constants.COPYFILE_FICLONE);
}

/** The params file as recorded: the file at the commit, unless the record says otherwise (a dirty tree). */
function restoreParams(run: RecordBody, wt: string, wtProject: string, inv: Record<string, unknown>): string | undefined {
  if (typeof inv.params_file !== 'string' || !run.params) return undefined;
  if (inv.params_file.startsWith('/') || inv.params_file.split('/').includes('..')) return undefined;
  const overrides = new Set(Array.isArray(inv.param_overrides) ? inv.param_overrides.map(String) : []);
  const expected = Object.fromEntries(Object.entries(run.params).filter(([k]) => !overrides.has(k)));
  if (JSON.stringify(expected).includes(JSON.stringify(REDACTED))) return 'not restored: the record holds redacted values';
  const file = path.join(wtProject, inv.params_file);
  let now: Json | undefined;
  try { now = insideWorktree(wt, file) ? readMappingFile(file, 'params') : undefined; } catch { now = undefined; }
  if (now !== undefined && canonicalYaml(now) === canonicalYaml(expected)) return undefined;
  prepareWrite(wt, file, 'params file');
  fs.writeFileSync(file, file.endsWith('.json') ? `${JSON.stringify(expected, null, 2)}\n` : canonicalYaml(expected), { flag: 'wx' });
  return `${inv.params_file} restored from the record (the file at the commit differs)`;
}

function envDrift(store: Store, recorded: unknown): EnvDrift[] {
  const was = (recorded && typeof recorded === 'object' ? recorded : {}) as Record<string, string | number>;
  const now = captureEnvironment(store.layout.cache, store.env) as Record<string, string | number | undefined>;
  return ENV_KEYS.filter((k) => (was[k] ?? null) !== (now[k] ?? null)).map((k) => ({ key: k, recorded: was[k] ?? null, now: now[k] ?? null }));
}

function hashOutput(wt: string, wtProject: string, o: { path: string; manifest?: unknown }): string | undefined {
  // Only what the command made in the worktree: a recorded `../..` path or a link out of the
  // checkout would put the hash of some other file of this machine into the record.
  if (typeof o.path !== 'string' || !safeRelative({ path: o.path } as FileEntry)) return undefined;
  const abs = insideWorktree(wt, path.join(wtProject, o.path));
  if (abs === undefined) return undefined;
  if (typeof o.manifest === 'string') return hashPathsSync([abs], { projectRoot: wtProject, cwd: wtProject, cache: new StatCache(undefined) }).digest;
  return currentHash(Buffer.from(abs));
}

export async function reproduce(store: Store, ref: string, opts: ReproduceOptions = {}): Promise<ReproduceResult> {
  const t0 = process.hrtime.bigint();
  const id = store.resolve(ref);
  const { subject, runId, run } = runOf(store, id);
  const command = Array.isArray(run.command) ? run.command.map(String) : [];
  if (!command.length) refuse(`run ${runId.slice(0, 12)} records no command`);
  if (command.includes(REDACTED)) refuse(`the recorded command of run ${runId.slice(0, 12)} had a secret-looking argument that was not recorded; it cannot be re-run as it was`);
  if (run.status !== 'succeeded') refuse(`run ${runId.slice(0, 12)} did not succeed (status ${String(run.status)}): there is no result to reproduce`);
  const commit = run.code?.commit;
  if (typeof commit !== 'string') refuse(`run ${runId.slice(0, 12)} records no code commit`);
  const top = gitTop(store.layout.project, store.env);
  if (!commitExists(top, commit, store.env)) throw new MlmetaError('E_GIT', `commit ${commit} of run ${runId.slice(0, 12)} is not in this repository (git fetch?)`);
  const tolerances = parseTolerances(opts.tolerance ?? []);
  const inv = (run.invocation && typeof run.invocation === 'object' ? run.invocation : {}) as Record<string, unknown>;
  // "bitwise" over nothing would be a verdict about nothing: say so before running anything.
  const comparable = (Array.isArray(run.outputs) && run.outputs.length > 0) || (typeof inv.metrics_file === 'string' && Object.keys(flatMetrics(run.metrics as Json | undefined)).length > 0);
  if (!comparable) refuse(`run ${runId.slice(0, 12)} records no outputs and no metrics file: a re-run would have nothing to be compared with (record outputs with mlmeta run --output)`);
  const warnings: string[] = [];
  const approximate = run.code?.dirty === true;
  if (approximate) warnings.push(`run ${runId.slice(0, 12)} was made from a work tree with uncommitted changes: this reproduction can only be approximate`);
  if (!run.invocation) warnings.push('the run records no invocation (made by an older mlmeta): running from the project root');

  let interrupted: string | undefined;
  const onSignal = (s: NodeJS.Signals) => () => { interrupted = s; };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  let wt: Worktree | undefined;
  let kept = false;
  try {
    wt = addWorktree(top, commit, store.env);
    const wtProject = path.join(wt.dir, path.relative(top, store.layout.project));
    const data = placeInputs(store, run, wtProject, wt.dir, opts);
    if (data.length && !opts.allowDataDrift) {
      throw new MlmetaError('E_DATA_CHANGED', `${data.length} input file(s) missing or changed since the run: ${data.slice(0, 20).map((d) => `${d.path} (${d.state}, ${d.dataset})`).join(', ')}${data.length > 20 ? ', …' : ''}; find them with --data-from DIR, or accept with --allow-data-drift`);
    }
    const params = restoreParams(run, wt.dir, wtProject, inv);
    const env = envDrift(store, run.env);
    // The preparation above is synchronous: a Ctrl-C during it is only delivered (to the
    // handler) once the event loop turns, so let it turn before deciding to start the command.
    await new Promise((resolve) => setImmediate(resolve));
    if (interrupted) refuse(`interrupted (${interrupted}); nothing was recorded`);
    const cwd = typeof inv.cwd === 'string' && !inv.cwd.startsWith('/') && !inv.cwd.split('/').includes('..') ? path.join(wtProject, inv.cwd) : wtProject;
    const c0 = process.hrtime.bigint();
    const { code, signal } = await execute(command, cwd, opts.stdio ?? 'inherit');
    const durationSeconds = Number(process.hrtime.bigint() - c0) / 1e9;
    if (interrupted || signal) refuse(`the command was interrupted (${interrupted ?? signal}); nothing was recorded`);
    if (code !== 0) refuse(`the command exited ${code} (the recorded run exited 0); nothing was recorded`);

    // Hash before the worktree goes: `git worktree remove` deletes ignored files too.
    const recordedOutputs = (Array.isArray(run.outputs) ? run.outputs : []) as Array<{ path: string; sha256: string; manifest?: unknown }>;
    const outputs: OutputComparison[] = recordedOutputs.map((o) => {
      const now = hashOutput(wt!.dir, wtProject, o);
      return { path: o.path, recorded: o.sha256, ...(now ? { now } : {}), same: now === o.sha256 };
    });
    let metricsNow: Record<string, number> = {};
    const metricsFile = typeof inv.metrics_file === 'string' && !inv.metrics_file.split('/').includes('..') ? insideWorktree(wt.dir, path.join(wtProject, inv.metrics_file)) : undefined;
    if (metricsFile !== undefined) {
      try { metricsNow = flatMetrics(readMappingFile(metricsFile, 'metrics')); } catch (e) { warnings.push(`metrics file ${inv.metrics_file} not read: ${(e as Error).message}`); }
    } else if (typeof inv.metrics_file === 'string') warnings.push(`metrics file ${inv.metrics_file} not read: missing, or not inside the worktree`);
    const recordedMetrics = flatMetrics(run.metrics as Json | undefined);
    const metrics: MetricComparison[] = Object.entries(recordedMetrics).filter(([k]) => k in metricsNow).map(([k, was]) => {
      const now = metricsNow[k]!;
      const tol = toleranceFor(tolerances, k);
      return { metric: k, recorded: was, now, delta: now - was, ...(tol.abs !== undefined || tol.rel !== undefined ? { tolerance: tol } : {}), within: within(was, now, tol) };
    });
    // Nothing compared (the metrics file lost every recorded metric, no outputs) is no match.
    const allSame = outputs.length + metrics.length > 0 && outputs.every((o) => o.same) && metrics.every((m) => m.delta === 0);
    const verdict: Verdict = allSame ? 'bitwise' : metrics.length > 0 && metrics.every((m) => m.within) ? 'within-tolerance' : 'differs';
    if (opts.keep) kept = true;
    else { wt.remove(); wt = undefined; }

    const prep = prepareRecord(store, {
      kind: 'reproduction',
      name: subject.name,
      code: commit,
      parentIds: [{ role: 'reproduces', id }, ...(runId !== id ? [{ role: 'run', id: runId }] : [])],
      metrics: Object.keys(metricsNow).length ? (readMetricsTree(metricsNow) as Record<string, Json>) : undefined,
      extra: {
        verdict,
        command,
        approximate,
        outputs: outputs.map((o) => ({ path: o.path, sha256: o.now ?? null, recorded: o.recorded })),
        drift: { env, data, ...(params ? { params } : {}) },
        ...(opts.tolerance?.length ? { tolerance: opts.tolerance } : {}),
        duration_seconds: Math.round(durationSeconds * 1000) / 1000,
      },
    });
    const rec = commitRecord(store, prep);
    const overheadSeconds = Number(process.hrtime.bigint() - t0) / 1e9 - durationSeconds;
    return {
      id: rec.id, reproduced: id, run: runId, commit, verdict, approximate, outputs, metrics, drift: { env, data, ...(params ? { params } : {}) },
      exitCode: code, durationSeconds, overheadSeconds, ...(kept && wt ? { worktree: wt.dir } : {}), warnings: [...warnings, ...rec.warnings],
    };
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    if (wt && !kept) wt.remove();
  }
}

/** Dotted metric keys back into the nested mapping a record holds. */
function readMetricsTree(flat: Record<string, number>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flat)) {
    const parts = k.split('.');
    let at = out;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]!] = v;
  }
  return out;
}

// Reading an MLflow `mlruns/` file store (MLflow 1.x–3.x; layout in docs/INTEROP.md and the
// research notes). Liberal where MLflow is: a folder without a meta.yaml is not an
// experiment or run (skipped with a warning), unknown fields are ignored, keys may hold '/'
// (sub-folders) or spaces, files may carry a BOM or CRLF. Strict where guessing would
// record something false: a meta.yaml that does not parse, or a metric line that is not
// `time value [step [run_id]]`, stops the import with one error line naming the file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import type { MetricPoint } from '../records/history.js';
import { parseYaml, type Json } from '../records/yaml.js';
import {
  loggedModelStatusName, metricValue, msOf, runStatusName,
  type MlDataset, type MlExperiment, type MlLoggedModel, type MlModelVersion, type MlRegisteredModel, type MlRun, type MlflowSource,
} from './mlflow-source.js';
import { readSourceText, sourceError } from './source-text.js';

/** Folders inside an experiment that are not runs. */
const RESERVED = new Set(['tags', 'datasets', 'traces', 'models', 'artifacts']);

type Meta = { [k: string]: Json };

function readMeta(file: string, root: string): Meta | undefined {
  if (!fs.existsSync(file)) return undefined;
  const text = readSourceText(file, root);
  const v = (() => {
    try {
      return parseYaml(text, path.relative(root, file));
    } catch (e) {
      throw sourceError(root, file, (e as Error).message.replace(/^.*?is not acceptable YAML: /, 'not YAML: '));
    }
  })();
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw sourceError(root, file, 'is not a YAML mapping');
  return v as Meta;
}

function str(v: Json | undefined): string | undefined {
  if (v === null || v === undefined) return undefined;
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  return s === '' ? undefined : s;
}

function dirs(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** `params/`, `tags/`, `metrics/` folders: one file per key, keys with '/' as sub-folders. */
function keyFiles(dir: string, rel = ''): Array<{ key: string; file: string }> {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: Array<{ key: string; file: string }> = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...keyFiles(file, `${rel}${e.name}/`));
    else if (e.isFile()) out.push({ key: `${rel}${e.name}`, file });
  }
  return out;
}

function valueFiles(dir: string, root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, file } of keyFiles(dir)) out[key] = readSourceText(file, root);
  return out;
}

/** `ts value [step [run_id …]]` per line; MLflow appends, so order and duplicates are as logged. */
function metricFiles(dir: string, root: string): Record<string, MetricPoint[]> {
  const out: Record<string, MetricPoint[]> = {};
  for (const { key, file } of keyFiles(dir)) {
    const points: MetricPoint[] = [];
    const lines = readSourceText(file, root).split(/\r?\n/);
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const f = line.trim().split(/\s+/);
      const time = Number(f[0]);
      const value = metricValue(f[1] ?? '');
      const step = f[2] === undefined ? 0 : Number(f[2]);
      if (f.length < 2 || !Number.isFinite(time) || (Number.isNaN(value) && f[1]!.toLowerCase() !== 'nan') || !Number.isSafeInteger(step) || step < 0) {
        throw sourceError(root, file, `line ${i + 1} is not "timestamp value [step]": ${JSON.stringify(line.slice(0, 60))}`);
      }
      points.push({ step, value, time });
    });
    if (points.length) out[key] = points;
  }
  return out;
}

function readRun(runDir: string, experimentId: string, meta: Meta, root: string): MlRun {
  // An id of digits only may have been parsed as a number: then the folder name says it.
  const id = typeof meta.run_id === 'string' ? meta.run_id : typeof meta.run_uuid === 'string' ? meta.run_uuid : path.basename(runDir);
  const inputs: MlRun['inputs'] = [];
  for (const inputId of dirs(path.join(runDir, 'inputs'))) {
    const m = readMeta(path.join(runDir, 'inputs', inputId, 'meta.yaml'), root);
    // destination_id is the dataset id in real file stores (not the run id): trust the folder.
    if (!m || str(m.source_type) !== 'DATASET' || !str(m.source_id)) continue;
    const tags = m.tags && typeof m.tags === 'object' && !Array.isArray(m.tags) ? (m.tags as Meta) : {};
    inputs.push({ datasetId: str(m.source_id)!, context: str(tags['mlflow.data.context']) });
  }
  return {
    id,
    experimentId,
    status: runStatusName(meta.status),
    runName: str(meta.run_name) ?? str(meta.name),
    start: msOf(meta.start_time),
    end: msOf(meta.end_time),
    user: str(meta.user_id),
    lifecycle: str(meta.lifecycle_stage),
    artifactUri: str(meta.artifact_uri),
    sourceType: typeof meta.source_type === 'number' ? undefined : str(meta.source_type),
    sourceName: str(meta.source_name),
    params: valueFiles(path.join(runDir, 'params'), root),
    tags: valueFiles(path.join(runDir, 'tags'), root),
    metrics: metricFiles(path.join(runDir, 'metrics'), root),
    inputs,
  };
}

function readRegistry(modelsDir: string, root: string, warnings: string[]): MlRegisteredModel[] {
  const out: MlRegisteredModel[] = [];
  for (const name of dirs(modelsDir)) {
    const dir = path.join(modelsDir, name);
    const meta = readMeta(path.join(dir, 'meta.yaml'), root);
    if (!meta) {
      warnings.push(`skipped ${path.relative(root, dir)}: no meta.yaml`);
      continue;
    }
    const aliases: Record<string, number> = {};
    if (meta.aliases && typeof meta.aliases === 'object' && !Array.isArray(meta.aliases)) {
      for (const [a, v] of Object.entries(meta.aliases)) if (Number.isInteger(Number(v))) aliases[a] = Number(v);
    }
    // `aliases/<alias>` files (the file store's own record of them) win over the meta.yaml map.
    for (const { key, file } of keyFiles(path.join(dir, 'aliases'))) {
      const v = readSourceText(file, root).trim();
      if (/^\d+$/.test(v)) aliases[key] = Number(v);
      else warnings.push(`skipped alias ${key} of model ${name}: ${JSON.stringify(v.slice(0, 20))} is not a version number`);
    }
    const versions: MlModelVersion[] = [];
    for (const vdir of dirs(dir).filter((d) => /^version-\d+$/.test(d))) {
      const vm = readMeta(path.join(dir, vdir, 'meta.yaml'), root);
      if (!vm) {
        warnings.push(`skipped ${path.relative(root, path.join(dir, vdir))}: no meta.yaml`);
        continue;
      }
      versions.push({
        version: Number(str(vm.version) ?? vdir.slice('version-'.length)),
        created: msOf(vm.creation_timestamp),
        user: str(vm.user_id),
        stage: str(vm.current_stage),
        source: str(vm.source),
        runId: str(vm.run_id),
        modelId: str(vm.model_id),
        status: str(vm.status),
        description: str(vm.description),
        tags: valueFiles(path.join(dir, vdir, 'tags'), root),
      });
    }
    versions.sort((a, b) => a.version - b.version);
    out.push({ name: str(meta.name) ?? name, created: msOf(meta.creation_timestamp), description: str(meta.description), aliases, tags: valueFiles(path.join(dir, 'tags'), root), versions });
  }
  return out;
}

export function readMlruns(root: string): MlflowSource {
  const warnings: string[] = [];
  const src: MlflowSource = { origin: root, experiments: [], runs: [], datasets: [], loggedModels: [], registered: [], warnings };
  for (const expDir of dirs(root)) {
    if (expDir === 'models' || expDir === '.trash') continue;
    const dir = path.join(root, expDir);
    const meta = readMeta(path.join(dir, 'meta.yaml'), root);
    if (!meta) {
      warnings.push(`skipped ${expDir}/: no meta.yaml, so not an MLflow experiment`);
      continue;
    }
    const expId = str(meta.experiment_id) ?? expDir;
    src.experiments.push({ id: expId, name: str(meta.name) ?? `experiment-${expId}`, created: msOf(meta.creation_time), lifecycle: str(meta.lifecycle_stage), tags: valueFiles(path.join(dir, 'tags'), root) });
    for (const dsId of dirs(path.join(dir, 'datasets'))) {
      const m = readMeta(path.join(dir, 'datasets', dsId, 'meta.yaml'), root);
      if (!m) continue;
      src.datasets.push({ id: dsId, experimentId: expId, name: str(m.name) ?? dsId, digest: str(m.digest) ?? '', sourceType: str(m.source_type), source: str(m.source), schema: str(m.schema), profile: str(m.profile) });
    }
    for (const modelId of dirs(path.join(dir, 'models'))) {
      const mdir = path.join(dir, 'models', modelId);
      const m = readMeta(path.join(mdir, 'meta.yaml'), root);
      if (!m) continue;
      src.loggedModels.push({
        id: str(m.model_id) ?? modelId, experimentId: expId, name: str(m.name) ?? modelId, created: msOf(m.creation_timestamp), runId: str(m.source_run_id),
        status: loggedModelStatusName(m.status), params: valueFiles(path.join(mdir, 'params'), root), tags: valueFiles(path.join(mdir, 'tags'), root), metrics: metricFiles(path.join(mdir, 'metrics'), root),
      });
    }
    for (const runDir of dirs(dir)) {
      if (RESERVED.has(runDir)) continue;
      const rm = readMeta(path.join(dir, runDir, 'meta.yaml'), root);
      if (!rm) {
        warnings.push(`skipped ${expDir}/${runDir}/: no meta.yaml, so not an MLflow run`);
        continue;
      }
      src.runs.push(readRun(path.join(dir, runDir), expId, rm, root));
    }
  }
  src.registered = readRegistry(path.join(root, 'models'), root, warnings);
  return src;
}

/** The mlruns folder PATH names: itself, or its `mlruns/` child (a project folder). */
export function findMlruns(p: string): string {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) throw new MlmetaError('E_NOT_FOUND', `${p} does not exist`);
  if (!st.isDirectory()) throw new MlmetaError('E_BAD_INPUT', `${p} is neither an mlruns folder nor an MLflow SQLite database`);
  const child = path.join(p, 'mlruns');
  if (path.basename(p) !== 'mlruns' && !fs.existsSync(path.join(p, '0', 'meta.yaml')) && fs.statSync(child, { throwIfNoEntry: false })?.isDirectory()) return child;
  return p;
}

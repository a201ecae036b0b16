// `mlmeta import mlflow PATH`: an MLflow tracking store (mlruns/ folder or SQLite database)
// as mlmeta records. What maps to what (docs/INTEROP.md):
//   experiment E's runs   → `run` records, line E (versions in start-time order)
//   dataset inputs        → `dataset` records (line = the dataset's name), role `data` of the run
//   MLflow 3 logged model → `model` record (line = its name), role `run` → its source run
//   registered version    → `model` record (line = the registered name), role `run` → its
//                           source run, role `source` → its logged model
//   registered alias      → `alias` record on that version
// Every record keeps MLflow's own ids under `mlflow:` (run_id, experiment_id, model_id,
// version…), so `mlmeta find --where 'mlflow.run_id = "…"'` finds an MLflow run, and `show`
// tells the MLflow id of any imported record. Times come from MLflow, never the clock.
import * as fs from 'node:fs';
import { MlmetaError } from '../errors.js';
import { buildHistory, type MetricPoint } from '../records/history.js';
import type { Json } from '../records/yaml.js';
import { compact, iso, redactField, redactInto, safeName } from './common.js';
import { findMlruns, readMlruns } from './mlflow-files.js';
import type { MlflowSource, MlRun } from './mlflow-source.js';
import { readMlflowSqlite } from './mlflow-sqlite.js';
import type { ImportPlan, PlannedParent, PlannedRecord } from './plan.js';

/** MLflow's status names → the words `run` records use. */
const STATUS: Record<string, string> = { FINISHED: 'succeeded', FAILED: 'failed', KILLED: 'killed', RUNNING: 'running', SCHEDULED: 'scheduled' };

/** Tags MLflow itself sets, mapped to record fields rather than kept as tags. */
const MAPPED_TAGS = new Set([
  'mlflow.user', 'mlflow.runName', 'mlflow.source.name', 'mlflow.source.type', 'mlflow.source.git.commit',
  'mlflow.source.git.branch', 'mlflow.source.git.repoURL', 'mlflow.parentRunId', 'mlflow.note.content',
]);

/** Read PATH: an SQLite file (by its header) or an mlruns folder. */
export function readMlflow(p: string): MlflowSource {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) throw new MlmetaError('E_NOT_FOUND', `${p} does not exist`);
  if (st.isFile()) {
    const head = Buffer.alloc(16);
    const fd = fs.openSync(p, 'r');
    try { fs.readSync(fd, head, 0, 16, 0); } finally { fs.closeSync(fd); }
    if (head.toString('latin1') !== 'SQLite format 3\u0000') throw new MlmetaError('E_BAD_INPUT', `${p} is neither an mlruns folder nor an SQLite database`);
    return readMlflowSqlite(p);
  }
  return readMlruns(findMlruns(p));
}

/** MLflow's "latest" value of a metric: the point with the greatest (step, time, value). */
function latest(points: MetricPoint[]): number | undefined {
  let best: MetricPoint | undefined;
  for (const p of points) {
    if (!best || p.step > best.step || (p.step === best.step && ((p.time ?? 0) > (best.time ?? 0) || ((p.time ?? 0) === (best.time ?? 0) && p.value > best.value)))) best = p;
  }
  return best && Number.isFinite(best.value) ? best.value : undefined;
}

function finalMetrics(series: Record<string, MetricPoint[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, pts] of Object.entries(series)) {
    const v = latest(pts);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function splitTags(tags: Record<string, string>): { user: Record<string, string>; system: Record<string, string> } {
  const user: Record<string, string> = {};
  const system: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    if (MAPPED_TAGS.has(k)) continue;
    (k.startsWith('mlflow.') ? system : user)[k] = v;
  }
  return { user, system };
}

export function planMlflow(src: MlflowSource): ImportPlan {
  const warnings = [...src.warnings];
  const records: PlannedRecord[] = [];
  const experiments = new Map(src.experiments.map((e) => [e.id, e]));
  const runs = new Map(src.runs.map((r) => [r.id, r]));
  const byStart = (a: { start?: number; id: string }, b: { start?: number; id: string }) => (a.start ?? 0) - (b.start ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

  // Datasets: dated by their first use (MLflow keeps no time for them).
  const firstUse = new Map<string, number>();
  for (const r of src.runs) for (const i of r.inputs) {
    const t = r.start ?? 0;
    if (!firstUse.has(i.datasetId) || t < firstUse.get(i.datasetId)!) firstUse.set(i.datasetId, t);
  }
  const datasetRefs = new Map<string, string>();
  const datasets = src.datasets.map((d) => ({ ...d, start: firstUse.get(d.id) ?? experiments.get(d.experimentId)?.created ?? 0 })).sort(byStart);
  for (const d of datasets) {
    const ref = `dataset:${d.experimentId}/${d.id}`;
    if (datasetRefs.has(d.id)) continue;
    datasetRefs.set(d.id, ref);
    const mlflow = compact({ dataset_id: d.id, experiment_id: d.experimentId, digest: d.digest || undefined, source_type: d.sourceType, source: d.source ? redactField(d.source, `dataset ${d.name} source`, warnings) : undefined, schema: d.schema, profile: d.profile });
    records.push({
      ref, kind: 'dataset', name: safeName(d.name, `mlflow-dataset-${d.id}`), parents: [],
      body: compact({ created: iso(d.start), digests: d.digest ? { mlflow: d.digest } : undefined, mlflow }),
    });
  }

  const runRefs = new Map<string, string>();
  const planning = new Set<string>();
  const planRun = (r: MlRun): void => {
    if (runRefs.has(r.id) || planning.has(r.id)) return;
    planning.add(r.id);
    const parentRunId = r.tags['mlflow.parentRunId'];
    const parentRun = parentRunId ? runs.get(parentRunId) : undefined;
    if (parentRun) planRun(parentRun);
    const exp = experiments.get(r.experimentId);
    const expName = exp?.name ?? `experiment-${r.experimentId}`;
    const { user, system } = splitTags(r.tags);
    const params: Record<string, Json> = { ...r.params };
    redactInto(params, `run ${r.id} param`, warnings);
    redactInto(user, `run ${r.id} tag`, warnings);
    redactInto(system, `run ${r.id} tag`, warnings);
    const { history, objects } = buildHistory(r.metrics);
    const commit = r.tags['mlflow.source.git.commit'];
    const remote = r.tags['mlflow.source.git.repoURL'];
    const started = r.start ?? r.end ?? exp?.created ?? 0;
    const parents: PlannedParent[] = [];
    if (parentRun && runRefs.has(parentRun.id)) parents.push({ role: 'parent', ref: runRefs.get(parentRun.id)! });
    else if (parentRunId) warnings.push(`run ${r.id}: its parent run ${parentRunId} is not in this store; kept as mlflow.parent_run_id only`);
    for (const i of r.inputs) {
      const ref = datasetRefs.get(i.datasetId);
      if (ref) parents.push({ role: 'data', ref });
      else warnings.push(`run ${r.id}: input dataset ${i.datasetId} has no meta.yaml; not linked`);
    }
    const sourceName = r.tags['mlflow.source.name'] ?? r.sourceName;
    const note = r.tags['mlflow.note.content'];
    const ref = `run:${r.id}`;
    records.push({
      ref, kind: 'run', name: safeName(expName, `mlflow-experiment-${r.experimentId}`), parents, objects,
      body: compact({
        created: iso(started),
        author: r.tags['mlflow.user'] ?? r.user,
        status: STATUS[r.status] ?? r.status.toLowerCase(),
        started: r.start !== undefined ? iso(r.start) : undefined,
        ended: r.end !== undefined ? iso(r.end) : undefined,
        duration_seconds: r.start !== undefined && r.end !== undefined && r.end >= r.start ? (r.end - r.start) / 1000 : undefined,
        code: commit ? compact({ commit, branch: r.tags['mlflow.source.git.branch'], remote: remote ? redactField(remote, `run ${r.id} repoURL`, warnings) : undefined }) : undefined,
        source: sourceName ? compact({ name: redactField(sourceName, `run ${r.id} source name`, warnings), type: r.tags['mlflow.source.type'] ?? r.sourceType }) : undefined,
        params,
        metrics: finalMetrics(r.metrics),
        history,
        tags: user,
        message: note ? redactField(note, `run ${r.id} note`, warnings) : undefined,
        mlflow: compact({
          run_id: r.id, experiment_id: r.experimentId, experiment: expName, run_name: r.tags['mlflow.runName'] ?? r.runName,
          status: r.status, lifecycle_stage: r.lifecycle !== 'active' ? r.lifecycle : undefined, artifact_uri: r.artifactUri ? redactField(r.artifactUri, `run ${r.id} artifact_uri`, warnings) : undefined,
          parent_run_id: parentRunId, inputs: r.inputs.some((i) => i.context) ? r.inputs.map((i) => compact({ dataset_id: i.datasetId, context: i.context })) : undefined,
          tags: system,
        }),
      }),
    });
    runRefs.set(r.id, ref);
    planning.delete(r.id);
  };
  for (const r of [...src.runs].sort(byStart)) planRun(r);

  // MLflow 3 logged models: a model with its own params and metrics, made by its source run.
  const loggedRefs = new Map<string, string>();
  const loggedMetrics = new Map<string, Record<string, number>>();
  const loggedParams = new Map<string, Record<string, string>>();
  for (const m of [...src.loggedModels].map((m) => ({ ...m, start: m.created })).sort(byStart)) {
    const ref = `logged-model:${m.id}`;
    const params: Record<string, Json> = { ...m.params };
    redactInto(params, `model ${m.id} param`, warnings);
    const { user, system } = splitTags(m.tags);
    const { history, objects } = buildHistory(m.metrics);
    const metrics = finalMetrics(m.metrics);
    const run = m.runId ? runs.get(m.runId) : undefined;
    const commit = m.tags['mlflow.source.git.commit'] ?? run?.tags['mlflow.source.git.commit'];
    records.push({
      ref, kind: 'model', name: safeName(m.name, `mlflow-model-${m.id}`), objects,
      parents: m.runId && runRefs.has(m.runId) ? [{ role: 'run', ref: runRefs.get(m.runId)! }] : [],
      body: compact({
        created: iso(m.created ?? run?.start ?? 0), author: m.tags['mlflow.user'] ?? run?.user, code: commit ? { commit } : undefined,
        params, metrics, history, tags: user,
        mlflow: compact({ model_id: m.id, experiment_id: m.experimentId, source_run_id: m.runId, status: m.status, tags: system }),
      }),
    });
    loggedRefs.set(m.id, ref);
    loggedMetrics.set(m.id, metrics);
    loggedParams.set(m.id, m.params);
  }

  // Registered models: each version a model version, then the aliases on them.
  for (const rm of src.registered) {
    const name = safeName(rm.name, `mlflow-registered-${rm.versions[0]?.version ?? 0}`);
    const versionRefs = new Map<number, string>();
    for (const v of rm.versions) {
      const run = v.runId ? runs.get(v.runId) : undefined;
      const parents: PlannedParent[] = [];
      if (v.runId && runRefs.has(v.runId)) parents.push({ role: 'run', ref: runRefs.get(v.runId)! });
      else if (v.runId) warnings.push(`model ${rm.name} version ${v.version}: source run ${v.runId} is not in this store`);
      if (v.modelId && loggedRefs.has(v.modelId)) parents.push({ role: 'source', ref: loggedRefs.get(v.modelId)! });
      const tags = { ...v.tags };
      redactInto(tags, `model ${rm.name} version ${v.version} tag`, warnings);
      const params: Record<string, Json> = { ...((v.modelId && loggedParams.get(v.modelId)) || run?.params || {}) };
      redactInto(params, `model ${rm.name} version ${v.version} param`, warnings);
      const ref = `registered:${rm.name}/${v.version}`;
      const commit = run?.tags['mlflow.source.git.commit'];
      records.push({
        ref, kind: 'model', name, parents,
        body: compact({
          created: iso(v.created ?? rm.created ?? run?.end ?? 0), author: v.user ?? run?.tags['mlflow.user'] ?? run?.user,
          code: commit ? { commit } : undefined,
          params,
          metrics: (v.modelId && loggedMetrics.get(v.modelId)) || (run ? finalMetrics(run.metrics) : undefined),
          message: v.description ? redactField(v.description, `model ${rm.name} description`, warnings) : undefined,
          tags,
          mlflow: compact({ registered_model: rm.name, version: v.version, run_id: v.runId, model_id: v.modelId, source: v.source ? redactField(v.source, `model ${rm.name} version ${v.version} source`, warnings) : undefined, stage: v.stage && v.stage !== 'None' ? v.stage : undefined, status: v.status }),
        }),
      });
      versionRefs.set(v.version, ref);
    }
    for (const [alias, version] of Object.entries(rm.aliases).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const target = versionRefs.get(version);
      if (!target || !/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(alias)) {
        warnings.push(`skipped alias ${alias} of model ${rm.name}: ${target ? 'not a name mlmeta accepts' : `version ${version} is not in this store`}`);
        continue;
      }
      const v = rm.versions.find((x) => x.version === version)!;
      // `target` is filled in from the target parent when the plan is applied (plan.ts).
      records.push({ ref: `alias:${rm.name}@${alias}`, kind: 'alias', name, parents: [{ role: 'target', ref: target }], body: { created: iso(v.created ?? rm.created ?? 0), alias, mlflow: { registered_model: rm.name, version } } });
    }
  }
  return { tool: 'mlflow', records, warnings };
}

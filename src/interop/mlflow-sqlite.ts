// Reading an MLflow SQLite database (`mlflow.db`, the default backend since MLflow 3.7),
// read-only, with the same better-sqlite3 the index uses (loaded lazily). Tables follow
// MLflow's SQLAlchemy models; each table and column is looked up before use, so a database
// of an older MLflow (no datasets, no logged models, no aliases) imports what it has.
import { MlmetaError } from '../errors.js';
import { sqlite, type SqlDatabase } from '../lazy-deps.js';
import type { MetricPoint } from '../records/history.js';
import {
  loggedModelStatusName, msOf, runStatusName,
  type MlLoggedModel, type MlModelVersion, type MlRegisteredModel, type MlRun, type MlflowSource,
} from './mlflow-source.js';

type Row = Record<string, unknown>;

function s(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  const t = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
  return t === '' ? undefined : t;
}

class Tables {
  private readonly columns = new Map<string, Set<string>>();
  constructor(private readonly db: SqlDatabase) {
    for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]) {
      this.columns.set(t, new Set((db.prepare(`PRAGMA table_info("${t.replace(/"/g, '""')}")`).all() as Array<{ name: string }>).map((c) => c.name)));
    }
  }
  has(table: string, ...cols: string[]): boolean {
    const c = this.columns.get(table);
    return !!c && cols.every((x) => c.has(x));
  }
  /** The first of these columns the table has. */
  col(table: string, ...names: string[]): string | undefined {
    return names.find((n) => this.columns.get(table)?.has(n));
  }
  all(table: string): Row[] {
    return this.has(table) ? (this.db.prepare(`SELECT * FROM "${table}"`).all() as Row[]) : [];
  }
}

/** key/value rows grouped by an owner column. */
function grouped(rows: Row[], owner: (r: Row) => string | undefined, key: string, value: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const r of rows) {
    const o = owner(r);
    const k = s(r[key]);
    if (o === undefined || k === undefined) continue;
    let m = out.get(o);
    if (!m) out.set(o, (m = {}));
    m[k] = s(r[value]) ?? '';
  }
  return out;
}

function point(value: unknown, isNan: unknown, step: unknown, time: unknown): MetricPoint {
  const v = Number(isNan) === 1 ? NaN : typeof value === 'number' ? value : Number(value);
  return { step: Math.max(0, Math.trunc(Number(step ?? 0)) || 0), value: v, time: msOf(time) };
}

export function readMlflowSqlite(file: string): MlflowSource {
  const Database = sqlite();
  let db: SqlDatabase;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new MlmetaError('E_IMPORT_SOURCE', `${file}: cannot be opened as SQLite (${(e as Error).message})`);
  }
  try {
    const t = new Tables(db);
    if (!t.has('experiments') || !t.has('runs')) throw new MlmetaError('E_IMPORT_SOURCE', `${file}: not an MLflow database (no experiments or runs table)`);
    return readTables(file, t);
  } catch (e) {
    if (e instanceof MlmetaError) throw e;
    throw new MlmetaError('E_IMPORT_SOURCE', `${file}: ${(e as Error).message}`);
  } finally {
    db.close();
  }
}

function readTables(file: string, t: Tables): MlflowSource {
  const warnings: string[] = [];
  const expTags = grouped(t.all('experiment_tags'), (r) => s(r.experiment_id), 'key', 'value');
  const experiments = t.all('experiments').map((r) => ({
    id: s(r.experiment_id)!, name: s(r.name) ?? `experiment-${s(r.experiment_id)}`, created: msOf(r.creation_time), lifecycle: s(r.lifecycle_stage), tags: expTags.get(s(r.experiment_id)!) ?? {},
  })).filter((e) => e.id !== undefined);

  const params = grouped(t.all('params'), (r) => s(r.run_uuid), 'key', 'value');
  const tags = grouped(t.all('tags'), (r) => s(r.run_uuid), 'key', 'value');
  const metrics = new Map<string, Record<string, MetricPoint[]>>();
  for (const r of t.all('metrics')) {
    const run = s(r.run_uuid);
    const key = s(r.key);
    if (!run || !key) continue;
    let m = metrics.get(run);
    if (!m) metrics.set(run, (m = {}));
    (m[key] ??= []).push(point(r.value, r.is_nan, r.step, r.timestamp));
  }
  const inputTags = grouped(t.all('input_tags'), (r) => s(r.input_uuid), 'name', 'value');
  const inputs = new Map<string, MlRun['inputs']>();
  for (const r of t.all('inputs')) {
    if (s(r.source_type) !== 'DATASET' || s(r.destination_type) !== 'RUN') continue;
    const run = s(r.destination_id)!;
    const list = inputs.get(run) ?? [];
    list.push({ datasetId: s(r.source_id)!, context: inputTags.get(s(r.input_uuid) ?? '')?.['mlflow.data.context'] });
    inputs.set(run, list);
  }
  const runs: MlRun[] = t.all('runs').map((r) => {
    const id = s(r.run_uuid)!;
    return {
      id, experimentId: s(r.experiment_id) ?? '0', status: runStatusName(r.status), runName: s(r.name), start: msOf(r.start_time), end: msOf(r.end_time), user: s(r.user_id),
      lifecycle: s(r.lifecycle_stage), artifactUri: s(r.artifact_uri), sourceType: s(r.source_type), sourceName: s(r.source_name),
      params: params.get(id) ?? {}, tags: tags.get(id) ?? {}, metrics: metrics.get(id) ?? {}, inputs: inputs.get(id) ?? [],
    };
  });
  const datasets = t.all('datasets').map((r) => ({
    id: s(r.dataset_uuid)!, experimentId: s(r.experiment_id) ?? '0', name: s(r.name) ?? s(r.dataset_uuid)!, digest: s(r.digest) ?? '',
    sourceType: s(r.dataset_source_type), source: s(r.dataset_source), schema: s(r.dataset_schema), profile: s(r.dataset_profile),
  }));

  // MLflow 3 logged models (column names looked up: they changed across 3.x releases).
  const lmKey = (r: Row) => s(r.model_id);
  const lmParams = grouped(t.all('logged_model_params'), lmKey, t.col('logged_model_params', 'param_key', 'key') ?? 'key', t.col('logged_model_params', 'param_value', 'value') ?? 'value');
  const lmTags = grouped(t.all('logged_model_tags'), lmKey, t.col('logged_model_tags', 'tag_key', 'key') ?? 'key', t.col('logged_model_tags', 'tag_value', 'value') ?? 'value');
  const lmMetrics = new Map<string, Record<string, MetricPoint[]>>();
  for (const r of t.all('logged_model_metrics')) {
    const id = lmKey(r);
    const key = s(r.metric_name ?? r.key);
    if (!id || !key) continue;
    let m = lmMetrics.get(id);
    if (!m) lmMetrics.set(id, (m = {}));
    (m[key] ??= []).push(point(r.metric_value ?? r.value, 0, r.metric_step ?? r.step, r.metric_timestamp_ms ?? r.timestamp));
  }
  const loggedModels: MlLoggedModel[] = t.all('logged_models').map((r) => {
    const id = s(r.model_id)!;
    return {
      id, experimentId: s(r.experiment_id) ?? '0', name: s(r.name) ?? id, created: msOf(r.creation_timestamp_ms ?? r.creation_timestamp), runId: s(r.source_run_id),
      status: loggedModelStatusName(typeof r.status === 'number' ? r.status : s(r.status)), params: lmParams.get(id) ?? {}, tags: lmTags.get(id) ?? {}, metrics: lmMetrics.get(id) ?? {},
    };
  });

  const rmTags = grouped(t.all('registered_model_tags'), (r) => s(r.name), 'key', 'value');
  const mvTags = grouped(t.all('model_version_tags'), (r) => `${s(r.name)}\u0000${s(r.version)}`, 'key', 'value');
  const aliases = new Map<string, Record<string, number>>();
  for (const r of t.all('registered_model_aliases')) {
    const a = aliases.get(s(r.name)!) ?? {};
    a[s(r.alias)!] = Number(r.version);
    aliases.set(s(r.name)!, a);
  }
  const versions = new Map<string, MlModelVersion[]>();
  for (const r of t.all('model_versions')) {
    const name = s(r.name)!;
    const list = versions.get(name) ?? [];
    list.push({
      version: Number(r.version), created: msOf(r.creation_time), user: s(r.user_id), stage: s(r.current_stage), source: s(r.source), runId: s(r.run_id),
      modelId: s(r.model_id), status: s(r.status), description: s(r.description), tags: mvTags.get(`${name}\u0000${s(r.version)}`) ?? {},
    });
    versions.set(name, list);
  }
  const registered: MlRegisteredModel[] = t.all('registered_models').map((r) => {
    const name = s(r.name)!;
    return { name, created: msOf(r.creation_time), description: s(r.description), aliases: aliases.get(name) ?? {}, tags: rmTags.get(name) ?? {}, versions: (versions.get(name) ?? []).sort((a, b) => a.version - b.version) };
  });
  return { origin: file, experiments, runs, datasets, loggedModels, registered, warnings };
}

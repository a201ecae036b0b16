// What mlmeta reads from an MLflow tracking store, whichever backend wrote it (the `mlruns/`
// file store, mlflow-files.ts, or a SQLite database, mlflow-sqlite.ts): one neutral shape
// that mlflow.ts maps to records. Times are ms since the epoch, as MLflow keeps them.
import type { MetricPoint } from '../records/history.js';

export interface MlExperiment {
  id: string;
  name: string;
  created?: number;
  lifecycle?: string;
  tags: Record<string, string>;
}

export interface MlRun {
  id: string;
  experimentId: string;
  /** RUNNING | SCHEDULED | FINISHED | FAILED | KILLED (as MLflow names them) */
  status: string;
  /** the run name (meta.yaml run_name, 1.x `name`, or the SQL column) */
  runName?: string;
  start?: number;
  end?: number;
  user?: string;
  lifecycle?: string;
  artifactUri?: string;
  sourceType?: string;
  sourceName?: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, MetricPoint[]>;
  /** dataset ids this run used, with the context tag (training, eval…) */
  inputs: Array<{ datasetId: string; context?: string }>;
}

export interface MlDataset {
  id: string;
  experimentId: string;
  name: string;
  digest: string;
  sourceType?: string;
  source?: string;
  schema?: string;
  profile?: string;
}

export interface MlLoggedModel {
  id: string;
  experimentId: string;
  name: string;
  created?: number;
  runId?: string;
  status?: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, MetricPoint[]>;
}

export interface MlModelVersion {
  version: number;
  created?: number;
  user?: string;
  stage?: string;
  source?: string;
  runId?: string;
  modelId?: string;
  status?: string;
  description?: string;
  tags: Record<string, string>;
}

export interface MlRegisteredModel {
  name: string;
  created?: number;
  description?: string;
  /** alias → version number */
  aliases: Record<string, number>;
  tags: Record<string, string>;
  versions: MlModelVersion[];
}

export interface MlflowSource {
  /** what was read, for messages: the mlruns folder or the database file */
  origin: string;
  experiments: MlExperiment[];
  runs: MlRun[];
  datasets: MlDataset[];
  loggedModels: MlLoggedModel[];
  registered: MlRegisteredModel[];
  warnings: string[];
}

/** RunStatus as the file store writes it (proto declaration order); the SQL store writes names. */
const RUN_STATUS: Record<number, string> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };
const LOGGED_MODEL_STATUS: Record<number, string> = { 0: 'UNSPECIFIED', 1: 'PENDING', 2: 'READY', 3: 'UPLOAD_FAILED' };

export function runStatusName(v: unknown): string {
  if (typeof v === 'number') return RUN_STATUS[v] ?? `UNKNOWN_${v}`;
  if (typeof v === 'string' && v !== '') return /^\d+$/.test(v) ? runStatusName(Number(v)) : v.toUpperCase();
  return 'UNKNOWN';
}

export function loggedModelStatusName(v: unknown): string | undefined {
  if (typeof v === 'number') return LOGGED_MODEL_STATUS[v] ?? `UNKNOWN_${v}`;
  if (typeof v === 'string' && v !== '') return /^\d+$/.test(v) ? loggedModelStatusName(Number(v)) : v;
  return undefined;
}

const MAX_DATE_MS = 8.64e15;

/** A ms timestamp from YAML or SQL (number, numeric text), or undefined. */
export function msOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  // Beyond ±8.64e15 ms a JavaScript Date (and so an ISO time) does not exist: such a value
  // is garbage in the source, treated as absent rather than crashing the import.
  return Number.isFinite(n) && n > 0 && n <= MAX_DATE_MS ? Math.round(n) : undefined;
}

/** MLflow's metric values: Python float reprs, plus the spellings of the SQL store. */
export function metricValue(s: string): number {
  const t = s.trim().toLowerCase();
  if (t === 'nan') return NaN;
  if (t === 'inf' || t === 'infinity' || t === '+inf') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return t === '' ? NaN : Number(t);
}

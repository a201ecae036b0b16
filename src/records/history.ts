// Metric history: a training curve is each metric's series of (step, value, time) points,
// kept with the run that logged it (issue #11; MLflow imports carry the same, #10).
//
// In a run (or model) record, `history:` maps a metric name to a summary of its series and
// the points themselves:
//
//   history:
//     loss: { count: 3, min: 0.2, max: 0.9, last: 0.2, first_step: 0, last_step: 2,
//             points: "0 0.9 1732100000000\n1 0.5 1732100001000\n2 0.2 1732100002000\n" }
//
// `points` is text, one point per line: `step value time` (time in ms since the epoch,
// `-` when unknown). Text rather than a YAML list: 10^5 points stay ~3 MB rather than ~10,
// and parse in a split. Past INLINE_POINTS the points move to their own content-addressed
// `series` object (pure content, like a manifest: no `created`), named by `series: <id>`,
// so `show` of a run never reads 10^5 points it does not print. The run's hash covers the
// series id, so the curve is as tamper-evident as the run.
//
// Values that are not finite (a diverged loss) are kept as `nan`, `inf` or `-inf` in the
// points; min/max/last summarise the finite values only (absent when there are none).
import { MlmetaError } from '../errors.js';
import { sha256Hex } from '../store/objects.js';
import { canonicalYaml } from './yaml.js';

export interface MetricPoint {
  step: number;
  value: number;
  /** ms since the epoch; undefined when the source did not say */
  time?: number;
}

export interface HistorySummary {
  count: number;
  min?: number;
  max?: number;
  /** the value at the highest step (the latest point among equal steps), when finite */
  last?: number;
  first_step: number;
  last_step: number;
}

export interface HistoryEntry extends HistorySummary {
  /** inline points (see above) */
  points?: string;
  /** id of the `series` object holding the points */
  series?: string;
}

export type History = Record<string, HistoryEntry>;

/** The largest time (ms since the epoch) a Date holds: past it, a time cannot be shown. */
export const MAX_TIME = 8.64e15;

/** Up to this many points live in the record itself. */
export const INLINE_POINTS = 200;

export interface ContentObject {
  id: string;
  bytes: Buffer;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

function parseValue(s: string): number {
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/** Points as text, ordered by step then time (a stable order: same points, same bytes). */
export function encodePoints(points: MetricPoint[]): string {
  const sorted = sortPoints(points);
  let out = '';
  for (const p of sorted) out += `${p.step} ${formatValue(p.value)} ${p.time === undefined ? '-' : Math.round(p.time)}\n`;
  return out;
}

/** One stored point: `step value time`, each part in the exact form encodePoints writes. */
const POINT_RE = /^(\d{1,16}) (nan|-?inf|-?\d+(?:\.\d+)?(?:e[-+]?\d+)?) (-|-?\d{1,16})$/;

export function decodePoints(text: string, what = 'history'): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = POINT_RE.exec(line);
    if (!m) throw new MlmetaError('E_CORRUPT_OBJECT', `${what}: bad point ${JSON.stringify(line.slice(0, 80))}`);
    const step = Number(m[1]);
    const value = parseValue(m[2]!);
    if (m[3] !== '-' && Math.abs(Number(m[3])) > MAX_TIME) throw new MlmetaError('E_CORRUPT_OBJECT', `${what}: time out of range in ${JSON.stringify(line.slice(0, 80))}`);
    out.push(m[3] === '-' ? { step, value } : { step, value, time: Number(m[3]) });
  }
  return out;
}

function sortPoints(points: MetricPoint[]): MetricPoint[] {
  return points
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.step - b.p.step || (a.p.time ?? 0) - (b.p.time ?? 0) || a.i - b.i)
    .map((x) => x.p);
}

/** Check one point as logged (E_BAD_INPUT naming the metric). */
export function checkPoint(metric: string, p: MetricPoint): void {
  if (typeof p.value !== 'number') throw new MlmetaError('E_BAD_INPUT', `metric ${metric}: value is not a number`);
  if (!Number.isSafeInteger(p.step) || p.step < 0) throw new MlmetaError('E_BAD_INPUT', `metric ${metric}: step ${p.step} is not a whole number ≥ 0`);
  if (p.time !== undefined && !(Math.abs(p.time) <= MAX_TIME)) throw new MlmetaError('E_BAD_INPUT', `metric ${metric}: time ${p.time} is not ms since the epoch within a date's range`);
}

export function summarise(points: MetricPoint[]): HistorySummary {
  const sorted = sortPoints(points);
  let min: number | undefined;
  let max: number | undefined;
  for (const p of sorted) {
    if (!Number.isFinite(p.value)) continue;
    if (min === undefined || p.value < min) min = p.value;
    if (max === undefined || p.value > max) max = p.value;
  }
  const lastPoint = sorted[sorted.length - 1];
  const s: HistorySummary = { count: sorted.length, first_step: sorted[0]?.step ?? 0, last_step: lastPoint?.step ?? 0 };
  if (min !== undefined) s.min = min;
  if (max !== undefined) s.max = max;
  if (lastPoint && Number.isFinite(lastPoint.value)) s.last = lastPoint.value;
  return s;
}

/** A `series` object's canonical bytes and id (not written). */
export function seriesObject(metric: string, points: MetricPoint[]): ContentObject {
  const bytes = Buffer.from(canonicalYaml({ mlmeta: 1, kind: 'series', metric, count: points.length, points: encodePoints(points) }), 'utf8');
  return { id: sha256Hex(bytes), bytes };
}

/**
 * Build a record's `history:` from each metric's points: the field to put in the record and
 * the series objects to write before it (write them first, under the same write lock).
 */
export function buildHistory(series: Record<string, MetricPoint[]>): { history: History; objects: ContentObject[] } {
  const history: History = {};
  const objects: ContentObject[] = [];
  for (const metric of Object.keys(series).sort()) {
    const points = series[metric]!;
    if (points.length === 0) continue;
    for (const p of points) checkPoint(metric, p);
    const entry: HistoryEntry = summarise(points);
    if (points.length <= INLINE_POINTS) {
      entry.points = encodePoints(points);
    } else {
      const obj = seriesObject(metric, points);
      objects.push(obj);
      entry.series = obj.id;
    }
    history[metric] = entry;
  }
  return { history, objects };
}

/** Read a record's `history:` field defensively (records are untrusted input). */
export function historyOf(record: object): History {
  const h = (record as { history?: unknown }).history;
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return {};
  const out: History = {};
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    const e = v as Record<string, unknown>;
    if (typeof e.count !== 'number') continue;
    out[k] = e as unknown as HistoryEntry;
  }
  return out;
}

/**
 * All points of one metric: inline, or from its series object through `read` (the store's
 * reader, which checks the object's hash). E_NOT_FOUND when the record has no such curve.
 */
export function pointsOf(entry: HistoryEntry, metric: string, read: (id: string) => object): MetricPoint[] {
  if (typeof entry.points === 'string') return decodePoints(entry.points, `history of ${metric}`);
  if (typeof entry.series === 'string') {
    const obj = read(entry.series) as { points?: unknown };
    if (typeof obj.points !== 'string') throw new MlmetaError('E_CORRUPT_OBJECT', `series ${entry.series} has no points`);
    return decodePoints(obj.points, `series ${entry.series}`);
  }
  throw new MlmetaError('E_CORRUPT_OBJECT', `history of ${metric} has neither points nor a series`);
}

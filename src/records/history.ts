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

/**
 * A curve as three columns: how a logged curve is built (capture/protocol.ts) — 10^5 points
 * as three arrays of doubles, not 10^5 objects for the collector to copy. `time` NaN: unknown.
 */
export interface Columns {
  step: number[];
  value: number[];
  time: number[];
}

export function toColumns(points: MetricPoint[]): Columns {
  return { step: points.map((p) => p.step), value: points.map((p) => p.value), time: points.map((p) => p.time ?? NaN) };
}

/** Points as text, ordered by step then time (a stable order: same points, same bytes). */
export function encodePoints(points: MetricPoint[]): string {
  return encodeSorted(sortColumns(toColumns(points)));
}

/** `indent`: put before each line (a series object writes the YAML block's lines directly). */
function encodeSorted(c: Columns, indent = ''): string {
  return encodeInto(c, indent, Buffer.alloc(0)).toString('latin1');
}

/**
 * `head`, then the points as text, in one buffer: 10^5 points are written byte by byte
 * (whole numbers as digits, other values through String), not as 10^5 line strings joined and
 * then encoded — that was ~0.25 s and most of the garbage of a 10^5-point run.
 */
function encodeInto(c: Columns, indent: string, head: Buffer): Buffer {
  const n = c.step.length;
  // a line at most: indent, 16-digit step, a double's longest text (24), '-' and 16 digits, 3 separators
  const buf = Buffer.allocUnsafe(head.length + n * (indent.length + 16 + 24 + 17 + 3));
  let at = head.copy(buf, 0);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < indent.length; k++) buf[at++] = indent.charCodeAt(k);
    at = writeWhole(buf, at, c.step[i]!);
    buf[at++] = 0x20;
    const v = c.value[i]!;
    if (Number.isSafeInteger(v)) at = writeWhole(buf, at, v);
    else {
      const text = formatValue(v);
      for (let k = 0; k < text.length; k++) buf[at++] = text.charCodeAt(k);
    }
    buf[at++] = 0x20;
    const t = c.time[i]!;
    if (Number.isNaN(t)) buf[at++] = 0x2d;
    else at = writeWhole(buf, at, Math.round(t));
    buf[at++] = 0x0a;
  }
  return buf.subarray(0, at);
}

/** A safe integer's decimal digits (what String writes for it) at `at`; returns the end. */
function writeWhole(buf: Buffer, at: number, v: number): number {
  if (v < 0) {
    buf[at++] = 0x2d;
    v = -v;
  }
  let digits = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
  let p = at + digits;
  while (v >= 10) {
    const q = Math.floor(v / 10);
    buf[--p] = 0x30 + (v - q * 10);
    v = q;
  }
  buf[--p] = 0x30 + v;
  return at + digits;
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

/** Ordered by step, then time (unknown as 0), then as given; a curve logged in order is returned as is. */
export function sortColumns(c: Columns): Columns {
  const n = c.step.length;
  const key = (i: number) => (Number.isNaN(c.time[i]!) ? 0 : c.time[i]!);
  let i = 1;
  while (i < n && (c.step[i - 1]! < c.step[i]! || (c.step[i - 1] === c.step[i] && key(i - 1) <= key(i)))) i++;
  if (i >= n) return c;
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => c.step[a]! - c.step[b]! || key(a) - key(b) || a - b);
  return { step: order.map((j) => c.step[j]!), value: order.map((j) => c.value[j]!), time: order.map((j) => c.time[j]!) };
}

/** Check one point as logged (E_BAD_INPUT naming the metric). */
export function checkPoint(metric: string, p: MetricPoint): void {
  checkAt(metric, toColumns([p]), 0);
}

function checkAt(metric: string, c: Columns, i: number): void {
  const step = c.step[i]!;
  const time = c.time[i]!;
  if (typeof c.value[i] !== 'number') throw new MlmetaError('E_BAD_INPUT', `metric ${metric}: value is not a number`);
  if (!Number.isSafeInteger(step) || step < 0) throw new MlmetaError('E_BAD_INPUT', `metric ${metric}: step ${step} is not a whole number ≥ 0`);
  if (!Number.isNaN(time) && !(Math.abs(time) <= MAX_TIME)) throw new MlmetaError('E_BAD_INPUT', `metric ${metric}: time ${time} is not ms since the epoch within a date's range`);
}

export function summarise(points: MetricPoint[]): HistorySummary {
  return summariseSorted(sortColumns(toColumns(points)));
}

function summariseSorted(c: Columns): HistorySummary {
  const n = c.step.length;
  let min: number | undefined;
  let max: number | undefined;
  for (const v of c.value) {
    if (!Number.isFinite(v)) continue;
    if (min === undefined || v < min) min = v;
    if (max === undefined || v > max) max = v;
  }
  const s: HistorySummary = { count: n, first_step: n ? c.step[0]! : 0, last_step: n ? c.step[n - 1]! : 0 };
  if (min !== undefined) s.min = min;
  if (max !== undefined) s.max = max;
  if (n && Number.isFinite(c.value[n - 1])) s.last = c.value[n - 1]!;
  return s;
}

/** A `series` object's canonical bytes and id (not written). */
export function seriesObject(metric: string, points: MetricPoint[]): ContentObject {
  return seriesOf(metric, sortColumns(toColumns(points)));
}

/**
 * The series object's canonical YAML, written directly: `points` sorts last among its keys,
 * and canonicalYaml writes a text of printable lines as a `|` block indented by two spaces —
 * which is what the lines are (encodeSorted writes only digits, signs, `.`, `e`, `nan`, `inf`
 * and `-`, single spaces between). Same bytes as canonicalYaml of the whole object (pinned in
 * test/records/history.test.ts), without a second pass over ~4.5 MB for 10^5 points.
 */
function seriesOf(metric: string, sorted: Columns): ContentObject {
  const head = canonicalYaml({ count: sorted.step.length, kind: 'series', metric, mlmeta: 1 });
  const bytes = encodeInto(sorted, '  ', Buffer.from(`${head}points: |\n`, 'utf8'));
  return { id: sha256Hex(bytes), bytes };
}

/**
 * Build a record's `history:` from each metric's points: the field to put in the record and
 * the series objects to write before it (write them first, under the same write lock).
 */
export function buildHistory(series: Record<string, MetricPoint[] | Columns>): { history: History; objects: ContentObject[] } {
  const history: History = {};
  const objects: ContentObject[] = [];
  for (const metric of Object.keys(series).sort()) {
    const given = series[metric]!;
    const columns = Array.isArray(given) ? toColumns(given) : given;
    const n = columns.step.length;
    if (n === 0) continue;
    for (let i = 0; i < n; i++) checkAt(metric, columns, i);
    const sorted = sortColumns(columns);
    const entry: HistoryEntry = summariseSorted(sorted);
    if (n <= INLINE_POINTS) {
      entry.points = encodeSorted(sorted);
    } else {
      const obj = seriesOf(metric, sorted);
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

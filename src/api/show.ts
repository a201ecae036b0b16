// `show`: one record with its parents named (kind, name@version) and its children counted.
// Parents are read straight from their objects, so showing by id or prefix never needs
// the index and costs the same at any store size.
import { MlmetaError } from '../errors.js';
import { historyOf, pointsOf, type HistorySummary, type MetricPoint } from '../records/history.js';
import type { RecordBody } from '../records/record.js';
import type { Store } from './store.js';

export interface ParentView {
  role: string;
  id: string;
  /** e.g. `dataset train-set@2`; undefined when the parent is not in this store */
  label?: string;
  missing?: boolean;
  /** the parent's object is there but is not a valid record (`verify` says why) */
  malformed?: boolean;
}

export interface ShowResult {
  id: string;
  record: RecordBody;
  parents: ParentView[];
}

export function describe(r: RecordBody): string {
  if (r.kind === 'alias') return `alias ${r.name}@${String(r.alias)}`;
  if (r.name !== undefined && r.version !== undefined) return `${r.kind} ${r.name}@${r.version}`;
  return r.name !== undefined ? `${r.kind} ${r.name}` : r.kind;
}

export function showRecord(store: Store, id: string): ShowResult {
  const record = store.read(id);
  const parents: ParentView[] = (record.parents ?? []).map((p) => {
    try {
      return { role: p.role, id: p.id, label: describe(store.read(p.id)) };
    } catch (e) {
      if (e instanceof MlmetaError && e.code === 'E_NOT_FOUND') return { role: p.role, id: p.id, missing: true };
      // A bad parent must not hide the record that names it: the child stays showable.
      if (e instanceof MlmetaError && (e.code === 'E_CORRUPT_OBJECT' || e.code === 'E_BAD_YAML')) return { role: p.role, id: p.id, malformed: true };
      throw e;
    }
  });
  return { id, record, parents };
}

export interface HistoryView extends HistorySummary {
  id: string;
  metric: string;
  /** the `series` object the points came from, when they are not inline */
  series?: string;
  points: MetricPoint[];
}

/** `show REF --history METRIC`: one curve's points (read from its series object if need be). */
export function showHistory(store: Store, id: string, metric: string): HistoryView {
  const record = store.read(id);
  const history = historyOf(record);
  const entry = Object.hasOwn(history, metric) ? history[metric] : undefined;
  if (!entry) {
    const names = Object.keys(history);
    throw new MlmetaError('E_NOT_FOUND', `${describe(record)} has no history of ${JSON.stringify(metric)}${names.length ? ` (it has: ${names.slice(0, 10).join(', ')})` : ' (it has no metric curves)'}`);
  }
  const points = pointsOf(entry, metric, (sid) => store.read(sid));
  const { points: _inline, series, ...summary } = entry;
  return { id, metric, ...summary, ...(typeof series === 'string' ? { series } : {}), points };
}

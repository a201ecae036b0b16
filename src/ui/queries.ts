// The UI's own questions to the derived index (src/graph/schema.ts tables, used as they
// are). Every statement is fixed text with bound parameters; anything a request chooses
// (a sort column, a page) is checked against known values first and bound, never spliced.
// Each answers one page's worth: lists are LIMITed, counts are separate.
import type { Graph } from '../graph/graph.js';

export interface LineRow {
  name: string;
  kind: string;
  latest: number;
  versions: number;
  created: string;
  /** id of the latest version */
  id: string;
  facts: Record<string, string | number | boolean>;
}

export interface VersionRow {
  id: string;
  version: number;
  created: string;
  author: string | null;
  commit: string | null;
  message: string | null;
}

export interface Neighbour {
  id: string;
  role: string;
  kind?: string;
  name?: string;
  version?: number;
  commit?: string;
}

type Q = Graph['query'];

/**
 * Answers that cost more than a page's worth (a line count over the whole index, a chart of
 * a 10,000-version line) are kept until the store changes. The index's `fans` table holds
 * each fan-out folder's mtime as last indexed, so it changes whenever the records do; a
 * folder indexed while racy ('') could still change unseen, so then nothing is kept.
 */
const memo = new WeakMap<object, { token: string; values: Map<string, unknown> }>();
const MEMO_MAX = 500;

function remembered<T>(g: Graph, key: string, fn: () => T): T {
  const token = (g.query as Q)((q) => q("SELECT group_concat(fan || ':' || mtime, ',') FROM fans").pluck().get()) as string | null;
  if (token === null || /:(,|$)/.test(token)) return fn();
  let m = memo.get(g.db);
  if (!m || m.token !== token) {
    m = { token, values: new Map() };
    memo.set(g.db, m);
  }
  if (m.values.has(key)) return m.values.get(key) as T;
  const v = fn();
  if (m.values.size >= MEMO_MAX) m.values.clear();
  m.values.set(key, v);
  return v;
}
const all = <T>(g: Graph, sql: string, ...params: unknown[]): T[] => (g.query as Q)((q) => q(sql).all(...params)) as T[];
const one = <T>(g: Graph, sql: string, ...params: unknown[]): T => (g.query as Q)((q) => q(sql).get(...params)) as T;
const pluck = <T>(g: Graph, sql: string, ...params: unknown[]): T[] => (g.query as Q)((q) => q(sql).pluck().all(...params)) as T[];

/**
 * Lines of a kind, most recently changed first: one page, and how many there are. The page
 * walks the (kind, created) index newest first and stops once it has seen enough names, so
 * page 1 of 40,000 model lines reads a few dozen rows, not every model.
 */
export function linesOf(g: Graph, kind: string, limit: number, offset: number): { rows: LineRow[]; total: number } {
  const total = remembered(g, `lines\u0000${kind}`, () => one<{ n: number }>(g, 'SELECT count(*) AS n FROM (SELECT DISTINCT name FROM records INDEXED BY records_line WHERE kind = ? AND name IS NOT NULL)', kind).n);
  const names: Array<{ name: string; created: string }> = [];
  const seen = new Set<string>();
  const newest = (g.query as Q)((q) => q('SELECT name, created FROM records INDEXED BY records_kind_created WHERE kind = ? AND name IS NOT NULL ORDER BY created DESC').raw().iterate(kind)) as IterableIterator<[string, string]>;
  for (const [name, created] of newest) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (seen.size > offset) names.push({ name, created });
    if (names.length >= limit) break;
  }
  const rows = names.map(({ name, created }) => {
    const latest = one<{ id: string; version: number; facts: string }>(g,
      'SELECT id, version, facts FROM records INDEXED BY records_line WHERE name = ? AND kind = ? ORDER BY version DESC, created DESC, id LIMIT 1', name, kind);
    return { name, kind, created, latest: latest.version, versions: lineCount(g, kind, name), id: latest.id, facts: JSON.parse(latest.facts) as LineRow['facts'] };
  });
  return { rows, total };
}

/** The newest records of a kind. */
export function recentOf(g: Graph, kind: string, limit: number): Array<{ id: string; name: string | null; version: number | null; created: string; facts: Record<string, string | number | boolean> }> {
  return all<{ id: string; name: string | null; version: number | null; created: string; facts: string }>(g,
    'SELECT id, name, version, created, facts FROM records WHERE kind = ? ORDER BY created DESC, id LIMIT ?', kind, limit)
    .map((r) => ({ ...r, facts: JSON.parse(r.facts) as Record<string, string | number | boolean> }));
}

export function lineCount(g: Graph, kind: string, name: string): number {
  return one<{ n: number }>(g, 'SELECT count(*) AS n FROM records INDEXED BY records_line WHERE name = ? AND kind = ?', name, kind).n;
}

/**
 * One page of a line's versions, sorted by version, created, or a params/metrics key. The
 * order is found from index entries alone (records_line holds name, kind, version, id);
 * only the page's rows are then read — a records row holds the whole summary, and reading
 * 10,000 of them to sort is most of the cost.
 */
export function versionsOf(g: Graph, kind: string, name: string, sort: string, desc: boolean, limit: number, offset: number): VersionRow[] {
  const dir = desc ? 'DESC' : 'ASC';
  let ids: string[];
  if (sort === 'version') {
    ids = pluck(g, `SELECT r.id FROM records r INDEXED BY records_line WHERE r.name = ? AND r.kind = ? ORDER BY r.version ${dir}, r.id LIMIT ? OFFSET ?`, name, kind, limit, offset);
  } else if (sort === 'created') {
    ids = pluck(g, `SELECT r.id FROM records r INDEXED BY records_line WHERE r.name = ? AND r.kind = ? ORDER BY r.created ${dir}, r.id LIMIT ? OFFSET ?`, name, kind, limit, offset);
  } else {
    // Versions without the field come last either way.
    ids = pluck(g, `SELECT r.id FROM records r INDEXED BY records_line LEFT JOIN fields s ON s.id = r.id AND s.key = ?
      WHERE r.name = ? AND r.kind = ? ORDER BY (s.txt IS NULL), s.num ${dir}, s.txt ${dir}, r.version DESC, r.id LIMIT ? OFFSET ?`, sort, name, kind, limit, offset);
  }
  const rows = all<VersionRow>(g, 'SELECT r.id, r.version, r.created, r.author, r."commit" AS "commit", r.message FROM json_each(?) j JOIN records r ON r.id = j.value ORDER BY j.key', JSON.stringify(ids));
  return rows;
}

/** params/metrics values of some records: id → key → value (number when numeric). */
export function fieldsOf(g: Graph, ids: string[]): Map<string, Map<string, string | number>> {
  const out = new Map<string, Map<string, string | number>>(ids.map((id) => [id, new Map()]));
  const rows = all<{ id: string; key: string; num: number | null; txt: string }>(g,
    'SELECT f.id, f.key, f.num, f.txt FROM json_each(?) j JOIN fields f ON f.id = j.value', JSON.stringify(ids));
  for (const r of rows) out.get(r.id)?.set(r.key, r.num ?? r.txt);
  return out;
}

/**
 * A metric across a line's versions, oldest first: every `every`-th version (and the newest),
 * so a chart of a 10,000-version line reads the values it draws, not all of them.
 */
export function metricSeries(g: Graph, kind: string, name: string, key: string, every = 1): Array<{ id: string; version: number; value: number }> {
  return remembered(g, JSON.stringify(['series', kind, name, key, every]), () => all(g, `SELECT r.id, r.version, f.num AS value FROM records r INDEXED BY records_line JOIN fields f ON f.id = r.id AND f.key = ?
    WHERE r.name = ? AND r.kind = ? AND (r.version % ? = 0 OR r.version = (SELECT max(version) FROM records WHERE name = ? AND kind = ?)) AND f.num IS NOT NULL
    ORDER BY r.version, r.created, r.id`, key, name, kind, every, name, kind));
}

export interface AliasRow {
  id: string;
  alias: string;
  target: string | null;
  created: string;
  author: string | null;
  message: string | null;
}

/** The alias names used on a line's name. */
export function aliasNames(g: Graph, name: string): string[] {
  return pluck<string>(g, "SELECT DISTINCT alias FROM records INDEXED BY records_line WHERE name = ? AND kind = 'alias' AND alias IS NOT NULL ORDER BY alias", name);
}

/** The alias moves on a name, newest first. */
export function aliasMoves(g: Graph, name: string, limit: number): AliasRow[] {
  return all<AliasRow>(g, "SELECT id, alias, target, created, author, message FROM records INDEXED BY records_line WHERE name = ? AND kind = 'alias' ORDER BY created DESC, id LIMIT ?", name, limit);
}

/** Current aliases on a name: alias → target ids (several after a fork; null: removed). */
export function currentAliases(g: Graph, name: string): Map<string, Array<string | null>> {
  const out = new Map<string, Array<string | null>>();
  for (const alias of aliasNames(g, name)) {
    const heads = g.heads('alias', `${name}@${alias}`);
    out.set(alias, heads.map((h) => one<{ target: string | null } | undefined>(g, 'SELECT target FROM records WHERE id = ?', h)?.target ?? null));
  }
  return out;
}

/** A record's parents in order (at most `limit`), with what the index knows of each. */
export function parentsOf(g: Graph, id: string, limit: number): { rows: Neighbour[]; total: number } {
  const total = one<{ n: number }>(g, 'SELECT count(*) AS n FROM edges WHERE child = ?', id).n;
  const rows = all<Record<string, unknown>>(g, `SELECT e.parent AS id, e.role, r.kind, r.name, r.version, r."commit" FROM edges e
    LEFT JOIN records r ON r.id = e.parent WHERE e.child = ? ORDER BY e.pos LIMIT ?`, id, limit);
  return { rows: rows.map(neighbour), total };
}

/** A record's children, or (`kind`) those of one kind, and how many children it has in all (alias records left out: they are bookkeeping, shown as badges). */
export function childrenOf(g: Graph, id: string, limit: number, offset = 0, kind?: string): { rows: Neighbour[]; total: number } {
  // All edges to it, less those of alias records (which name their target with role `target`):
  // two index counts, where a join over 10,000 children would read every child's row.
  const edgesIn = one<{ n: number }>(g, 'SELECT count(*) AS n FROM edges WHERE parent = ?', id).n;
  const aliases = one<{ n: number }>(g, "SELECT count(*) AS n FROM edges e JOIN records r ON r.id = e.child WHERE e.parent = ? AND e.role = 'target' AND r.kind = 'alias'", id).n;
  const total = edgesIn - aliases;
  // In the index's order (role, then child id): the first page is read without sorting them all.
  const rows = all<Record<string, unknown>>(g, `SELECT e.child AS id, e.role, r.kind, r.name, r.version, r."commit" FROM edges e INDEXED BY edges_parent
    JOIN records r ON r.id = e.child WHERE e.parent = ? AND r.kind != 'alias' AND (? IS NULL OR r.kind = ?) ORDER BY e.role, e.child, e.pos LIMIT ? OFFSET ?`, id, kind ?? null, kind ?? null, limit, offset);
  return { rows: rows.map(neighbour), total };
}

function neighbour(r: Record<string, unknown>): Neighbour {
  return {
    id: r.id as string, role: r.role as string,
    ...(r.kind !== null ? { kind: r.kind as string } : {}),
    ...(r.name !== null ? { name: r.name as string } : {}),
    ...(r.version !== null ? { version: r.version as number } : {}),
    ...(r.commit !== null && r.kind !== 'alias' ? { commit: r.commit as string } : {}),
  };
}

/** Whether a dataset is among a record's ancestors (one recursive query over edges). */
export function hasDataAncestor(g: Graph, id: string): boolean {
  return remembered(g, `data\u0000${id}`, () => one<unknown>(g, `WITH RECURSIVE up(id) AS (SELECT ? UNION SELECT e.parent FROM up JOIN edges e ON e.child = up.id)
    SELECT 1 FROM up JOIN records r ON r.id = up.id WHERE r.kind = 'dataset' LIMIT 1`, id) !== undefined);
}

/** The manifest of a dataset version (its `manifest` parent). */
export function manifestOf(g: Graph, datasetId: string): string | undefined {
  return one<{ parent: string } | undefined>(g, "SELECT parent FROM edges WHERE child = ? AND role = 'manifest' LIMIT 1", datasetId)?.parent;
}

export interface FileChanges {
  added: string[];
  removed: string[];
  changed: string[];
  counts: { added: number; removed: number; changed: number };
}

/** Files that differ between two manifests (from the index's hashes table), at most `limit` listed per kind. */
export function fileChanges(g: Graph, fromManifest: string, toManifest: string, limit: number): FileChanges {
  // paths in the first manifest and not in the second
  const only = `FROM hashes x WHERE x.id = ? AND x.how = 'file' AND x.path IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM hashes y WHERE y.id = ? AND y.how = 'file' AND y.path = x.path)`;
  const changedFrom = `FROM hashes x JOIN hashes y ON y.id = ? AND y.how = 'file' AND y.path = x.path AND y.sha256 != x.sha256
    WHERE x.id = ? AND x.how = 'file'`;
  const list = (from: string, ...p: string[]) => pluck<string>(g, `SELECT x.path ${from} ORDER BY x.path LIMIT ?`, ...p, limit);
  const count = (from: string, ...p: string[]) => one<{ n: number }>(g, `SELECT count(*) AS n ${from}`, ...p).n;
  return {
    added: list(only, toManifest, fromManifest),
    removed: list(only, fromManifest, toManifest),
    changed: list(changedFrom, fromManifest, toManifest),
    counts: { added: count(only, toManifest, fromManifest), removed: count(only, fromManifest, toManifest), changed: count(changedFrom, fromManifest, toManifest) },
  };
}

/** The `previous` parents of some records: child → previous ids. */
export function previousOf(g: Graph, ids: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const rows = all<{ child: string; parent: string }>(g, "SELECT e.child, e.parent FROM json_each(?) j JOIN edges e ON e.child = j.value WHERE e.role = 'previous' ORDER BY e.child, e.pos", JSON.stringify(ids));
  for (const r of rows) (out.get(r.child) ?? out.set(r.child, []).get(r.child)!).push(r.parent);
  return out;
}

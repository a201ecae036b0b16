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

export interface ColumnInfo {
  key: string;
  /** versions that have the field */
  count: number;
  /** distinct values among them */
  distinct: number;
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
const all = <T>(g: Graph, sql: string, ...params: unknown[]): T[] => (g.query as Q)((q) => q(sql).all(...params)) as T[];
const one = <T>(g: Graph, sql: string, ...params: unknown[]): T => (g.query as Q)((q) => q(sql).get(...params)) as T;
const pluck = <T>(g: Graph, sql: string, ...params: unknown[]): T[] => (g.query as Q)((q) => q(sql).pluck().all(...params)) as T[];

/** Lines of a kind, most recently changed first: one page, and how many there are. */
export function linesOf(g: Graph, kind: string, limit: number, offset: number): { rows: LineRow[]; total: number } {
  const total = one<{ n: number }>(g, 'SELECT count(DISTINCT name) AS n FROM records WHERE kind = ? AND name IS NOT NULL', kind).n;
  const heads = all<{ name: string; latest: number; versions: number; created: string }>(g,
    `SELECT name, max(version) AS latest, count(*) AS versions, max(created) AS created FROM records
     WHERE kind = ? AND name IS NOT NULL GROUP BY name ORDER BY created DESC, name LIMIT ? OFFSET ?`, kind, limit, offset);
  const rows = heads.map((r) => {
    const latest = one<{ id: string; facts: string } | undefined>(g,
      'SELECT id, facts FROM records INDEXED BY records_line WHERE name = ? AND kind = ? AND version = ? ORDER BY created DESC, id LIMIT 1', r.name, kind, r.latest);
    return { ...r, kind, id: latest?.id ?? '', facts: latest ? (JSON.parse(latest.facts) as LineRow['facts']) : {} };
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

/** params.* and metrics.* keys of a line, with how many versions have each and how many values. */
export function columnsOf(g: Graph, kind: string, name: string): ColumnInfo[] {
  return all<ColumnInfo>(g,
    `SELECT f.key AS key, count(*) AS count, count(DISTINCT f.txt) AS "distinct" FROM records r INDEXED BY records_line
     JOIN fields f ON f.id = r.id WHERE r.name = ? AND r.kind = ? GROUP BY f.key ORDER BY f.key`, name, kind);
}

const VERSION_COLS = 'r.id, r.version, r.created, r.author, r."commit", r.message';

/** One page of a line's versions, sorted by version, created, or a params/metrics key (checked by the caller). */
export function versionsOf(g: Graph, kind: string, name: string, sort: string, desc: boolean, limit: number, offset: number): VersionRow[] {
  const dir = desc ? 'DESC' : 'ASC';
  if (sort === 'version' || sort === 'created') {
    const col = sort === 'version' ? 'r.version' : 'r.created';
    return all<VersionRow>(g, `SELECT ${VERSION_COLS} FROM records r INDEXED BY records_line WHERE r.name = ? AND r.kind = ?
      ORDER BY ${col} ${dir}, r.created ${dir}, r.id LIMIT ? OFFSET ?`, name, kind, limit, offset);
  }
  // Versions without the field come last either way.
  return all<VersionRow>(g, `SELECT ${VERSION_COLS} FROM records r INDEXED BY records_line LEFT JOIN fields s ON s.id = r.id AND s.key = ?
    WHERE r.name = ? AND r.kind = ? ORDER BY (s.txt IS NULL), s.num ${dir}, s.txt ${dir}, r.version DESC, r.id LIMIT ? OFFSET ?`, sort, name, kind, limit, offset);
}

/** params/metrics values of some records: id → key → value (number when numeric). */
export function fieldsOf(g: Graph, ids: string[]): Map<string, Map<string, string | number>> {
  const out = new Map<string, Map<string, string | number>>(ids.map((id) => [id, new Map()]));
  const rows = all<{ id: string; key: string; num: number | null; txt: string }>(g,
    'SELECT f.id, f.key, f.num, f.txt FROM json_each(?) j JOIN fields f ON f.id = j.value', JSON.stringify(ids));
  for (const r of rows) out.get(r.id)?.set(r.key, r.num ?? r.txt);
  return out;
}

/** A metric across a line's versions, oldest first. */
export function metricSeries(g: Graph, kind: string, name: string, key: string): Array<{ id: string; version: number; value: number }> {
  return all(g, `SELECT r.id, r.version, f.num AS value FROM records r INDEXED BY records_line JOIN fields f ON f.id = r.id AND f.key = ?
    WHERE r.name = ? AND r.kind = ? AND f.num IS NOT NULL ORDER BY r.version, r.created, r.id`, key, name, kind);
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

/** A record's children, newest first (alias records left out: they are bookkeeping, shown as badges). */
export function childrenOf(g: Graph, id: string, limit: number, offset = 0): { rows: Neighbour[]; total: number } {
  const total = one<{ n: number }>(g, "SELECT count(*) AS n FROM edges e JOIN records r ON r.id = e.child WHERE e.parent = ? AND r.kind != 'alias'", id).n;
  const rows = all<Record<string, unknown>>(g, `SELECT e.child AS id, e.role, r.kind, r.name, r.version, r."commit" FROM edges e
    JOIN records r ON r.id = e.child WHERE e.parent = ? AND r.kind != 'alias' ORDER BY r.created DESC, e.child LIMIT ? OFFSET ?`, id, limit, offset);
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
  return one<unknown>(g, `WITH RECURSIVE up(id) AS (SELECT ? UNION SELECT e.parent FROM up JOIN edges e ON e.child = up.id)
    SELECT 1 FROM up JOIN records r ON r.id = up.id WHERE r.kind = 'dataset' LIMIT 1`, id) !== undefined;
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

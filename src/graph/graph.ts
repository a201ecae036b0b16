// The DAG as the index sees it: version lines (kind, name), heads, children (reverse
// edges) and alias chains, answered by indexed SQL over the derived index (index-db.ts).
// `get` gives a record's structure (kind, name, version, created, parents); `full` every
// indexed field (summary.ts). Nothing is loaded whole: each question is a few lookups.
import { isVersioned, type Parent } from '../records/record.js';
import type { SqlDatabase, SqlStatement } from '../lazy-deps.js';
import type { StoreLayout } from '../store/location.js';
import { indexFor, isCorruption, rebuild, refresh, type IndexHandle } from './index-db.js';
import { labelOf } from './rows.js';
import type { Summary } from './summary.js';

export interface Edge {
  role: string;
  id: string;
}

/** What every graph command can know cheaply about a record. */
export interface Node {
  kind: string;
  name?: string;
  version?: number;
  created: string;
  parents: Parent[];
  /** alias records: the alias name, and the target (null when removed) */
  alias?: string;
  target?: string | null;
  /** the code commit, if recorded */
  commit?: string;
}

/** A walk's start: its lineage view and its code commit, when it has one. */
export interface WalkStart {
  view: Described;
  commit?: string;
}

const SEP_FIELD = '\u0001';
const SEP_LINK = '\u0002';
/** A link's fields, in linkText's order. */
const FROM = 0;
const POS = 1;
const OTHER = 2;
const ALIAS = 3;
const ROLE = 4;
const COMMIT = 5;
const STUB = 6;
const VIEW = 7;
const FIELDS = 8;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;

/**
 * The links of a lineage walk as SQLite gives them: one text (linkText below), each link
 * `from n, pos, other n, "a" if the other end is an alias, role, other's commit, a stub's id,
 * other's view` (ends as the walk tables' integer keys, schema.ts nodes; role, commit and id
 * JSON-quoted, the commit `null` when there is none, empty where the walk does not ask for it;
 * the view the record's Described as compact JSON, as rows.ts wrote it, empty for a stub: a
 * parent not in the store). A 10,000-record walk crosses into JavaScript as one string, and
 * nothing is made per link but the keys the walk looks up: it compares ranges of that text, and
 * `--json` output copies ranges of it (render/lineage.ts). Objects or strings per link were
 * tens of thousands of allocations, and on this VM every page of fresh memory costs ~20 µs.
 * The text is read with V8's built-in string functions (indexOf, slice) where it can be: in a
 * process that lives half a second, JavaScript loops run mostly unoptimised (docs/BENCH.md).
 */
export class WalkLinks {
  readonly count: number;
  /** where each field starts (FIELDS per link), then where the text ends */
  private readonly starts: Int32Array;

  constructor(readonly text: string) {
    let count = text.length ? 1 : 0;
    for (let i = text.indexOf(SEP_LINK); i >= 0; i = text.indexOf(SEP_LINK, i + 1)) count++;
    this.count = count;
    const starts = new Int32Array(count * FIELDS + 1);
    let at = 0;
    for (let i = 0; i < count; i++) {
      // a field ends at the next separator: none is inside a field (JSON text and quoted strings escape control characters)
      for (let f = 0; f < VIEW; f++) {
        starts[i * FIELDS + f] = at;
        at = text.indexOf(SEP_FIELD, at) + 1;
      }
      starts[i * FIELDS + VIEW] = at;
      at = text.indexOf(SEP_LINK, at) + 1 || text.length + 1;
    }
    starts[count * FIELDS] = text.length + 1;
    this.starts = starts;
  }

  private start(i: number, f: number): number {
    return this.starts[i * FIELDS + f]!;
  }

  /** Where field f of link i ends (its separator). */
  private end(i: number, f: number): number {
    return this.starts[i * FIELDS + f + 1]! - 1;
  }

  private field(i: number, f: number): string {
    return this.text.slice(this.start(i, f), this.end(i, f));
  }

  /** The string a JSON string literal text[from, to) holds. */
  string(from: number, to: number): string {
    const s = this.text.slice(from + 1, to - 1);
    return s.indexOf('\\') < 0 ? s : (JSON.parse(this.text.slice(from, to)) as string);
  }

  /** Where the JSON string literal starting at text[from] (a quote) ends, just past its closing quote. */
  stringEnd(from: number): number {
    for (let q = this.text.indexOf('"', from + 1); ; q = this.text.indexOf('"', q + 1)) {
      // a quote after an odd number of backslashes is escaped
      let k = q;
      while (this.text.charCodeAt(k - 1) === BACKSLASH) k--;
      if ((q - k) % 2 === 0) return q + 1;
    }
  }

  /** The record walked from and the other end, as the text of their walk keys (decimal integers: one text per key). */
  fromKey(i: number): string { return this.field(i, FROM); }
  otherKey(i: number): string { return this.field(i, OTHER); }
  pos(i: number): number { return Number(this.field(i, POS)); }
  /** The role, JSON-quoted: text[roleStart, roleEnd). */
  roleStart(i: number): number { return this.start(i, ROLE); }
  roleEnd(i: number): number { return this.end(i, ROLE); }
  role(i: number): string { return this.string(this.roleStart(i), this.roleEnd(i)); }
  /** The role as JSON-quoted text (json_quote gives one text per string). */
  roleText(i: number): string { return this.field(i, ROLE); }
  /** Whether the other end has a code commit; then it is JSON-quoted at text[commitStart, commitEnd). */
  hasCommit(i: number): boolean { return this.text.charCodeAt(this.start(i, COMMIT)) === QUOTE; }
  commitStart(i: number): number { return this.start(i, COMMIT); }
  commitEnd(i: number): number { return this.end(i, COMMIT); }
  commit(i: number): string | null { return this.hasCommit(i) ? this.string(this.commitStart(i), this.commitEnd(i)) : null; }
  /** The commit as JSON-quoted text. */
  commitText(i: number): string { return this.field(i, COMMIT); }
  /** Whether the other end is a stub: a parent not in the store (no view; its id in a field of its own). */
  isStub(i: number): boolean { return this.end(i, VIEW) === this.start(i, VIEW); }
  /** Whether the other end is an alias record. */
  isAlias(i: number): boolean { return this.end(i, ALIAS) > this.start(i, ALIAS); }
  /** Where the other end's view is in `text` (an empty range: a stub). */
  viewStart(i: number): number { return this.start(i, VIEW); }
  viewEnd(i: number): number { return this.end(i, VIEW); }
  /** The other end's view as compact JSON (null: a stub). */
  view(i: number): string | null {
    return this.isStub(i) ? null : this.field(i, VIEW);
  }
  /** The other end's id, JSON-quoted: a stub's own field, else the view's first value (rows.ts: id, kind, name?, version?, label, facts). */
  idStart(i: number): number { return this.isStub(i) ? this.start(i, STUB) : this.viewStart(i) + 6; } // after {"id":
  idEnd(i: number): number { return this.isStub(i) ? this.end(i, STUB) : this.stringEnd(this.viewStart(i) + 6); }
  id(i: number): string { return this.string(this.idStart(i), this.idEnd(i)); }
  /** Where the kind in the other end's view starts, JSON-quoted (after the id; not for a stub). */
  kindStart(i: number): number { return this.idEnd(i) + 8; } // after ,"kind":
  /** The other end's kind (null: a stub). */
  kind(i: number): string | null {
    if (this.isStub(i)) return null;
    const from = this.kindStart(i);
    return this.string(from, this.stringEnd(from));
  }
  /** Whether the other end's kind is `quoted` (a kind as JSON.stringify quotes it, as rows.ts wrote the view; not for a stub). */
  kindIs(i: number, quoted: string): boolean { return this.text.startsWith(quoted, this.kindStart(i)); }
  /** The other ends' ids compared as strings are by `<` (by UTF-16 code units). */
  compareIds(a: number, b: number): number {
    const text = this.text;
    for (let x = this.idStart(a) + 1, y = this.idStart(b) + 1; ; x++, y++) {
      const p = text.charCodeAt(x);
      const q = text.charCodeAt(y);
      if (p === BACKSLASH || q === BACKSLASH) {
        // an escape: compare the strings themselves
        const s = this.id(a);
        const t = this.id(b);
        return s < t ? -1 : s > t ? 1 : 0;
      }
      // inside a JSON string an unescaped `"` is its end: the shorter string is less
      if (p === QUOTE || q === QUOTE) return p === q ? 0 : p === QUOTE ? -1 : 1;
      if (p !== q) return p - q;
    }
  }
  /** Where the label in the other end's view is, JSON-quoted (not for a stub). */
  labelStart(i: number): number {
    // Inside a JSON string every `"` is escaped, so the first `,"label":` is the view's own key, whatever the name holds.
    return this.text.indexOf(',"label":', this.viewStart(i)) + 9;
  }
  label(i: number): string {
    const from = this.labelStart(i);
    return this.string(from, this.stringEnd(from));
  }
}

/** A record as lineage views show it. */
export interface Described {
  id: string;
  kind: string;
  name?: string;
  version?: number;
  label: string;
  facts: Record<string, string | number | boolean>;
}

export function lineKey(kind: string, name: string): string {
  return `${kind}\u0000${name}`;
}

interface Row {
  id: string;
  kind: string;
  name: string | null;
  version: number | null;
  created: string | null;
  commit: string | null;
  alias: string | null;
  target: string | null;
  facts: string;
}

const ROW = 'id, kind, name, version, created, "commit", alias, target, facts';
/**
 * One link of a walk as WalkLinks reads it, `l` the link and `o` its other end; `commit`: with
 * the other end's code commit (only ancestors need it).
 */
const linkText = (from: string, other: string, commit: boolean) =>
  `l.${from} || char(1) || l.pos || char(1) || l.${other} || char(1) || (CASE WHEN o.kind = 'alias' THEN 'a' ELSE '' END) || char(1) || json_quote(l.role) || char(1) || ${commit ? 'json_quote(o."commit")' : "''"} || char(1) || (CASE WHEN o.view IS NULL THEN json_quote(o.id) ELSE '' END) || char(1) || coalesce(o.view, '')`;
/** All of a walk's links as one text, WalkLinks' form. */
const linksText = (from: string, other: string, commit = from === 'child') => `coalesce(group_concat(${linkText(from, other, commit)}, char(2)), '')`;
/**
 * newest version first; ties by created, then id, for a stable order. Line queries name
 * their index (INDEXED BY records_line): without statistics SQLite's planner would walk
 * records_kind_created for the ORDER BY, i.e. every record of the kind.
 */
const NEWEST_FIRST = 'ORDER BY coalesce(version, 0) DESC, created DESC, id ASC';

export class Graph {
  private h: IndexHandle;
  private readonly layout: StoreLayout;
  private stmts = new Map<string, SqlStatement>();

  constructor(layout: StoreLayout) {
    this.layout = layout;
    this.h = indexFor(layout);
  }

  /** The open database (for queries built elsewhere in src/graph, e.g. find). */
  get db(): SqlDatabase {
    return this.h.db;
  }

  /** Run a query; a damaged index found mid-command is rebuilt and the query asked again. */
  query<T>(fn: (stmt: (sql: string) => SqlStatement) => T): T {
    try {
      return fn((sql) => this.stmt(sql));
    } catch (e) {
      if (!isCorruption(e)) throw e;
      this.h = rebuild(this.layout, this.h);
      this.stmts.clear();
      refresh(this.layout, this.h.db);
      return fn((sql) => this.stmt(sql));
    }
  }

  private stmt(sql: string): SqlStatement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.h.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  private row(id: string): Row | undefined {
    return this.query((q) => q(`SELECT ${ROW} FROM records WHERE id = ?`).get(id) as Row | undefined);
  }

  get(id: string): Node | undefined {
    const r = this.row(id);
    if (!r) return undefined;
    const parents = this.parentsOf(id).map(({ role, id: pid }) => ({ role, id: pid }));
    const n: Node = { kind: r.kind, name: r.name ?? undefined, created: r.created ?? '', parents };
    if (r.version) n.version = r.version;
    if (r.kind !== 'alias' && r.commit) n.commit = r.commit;
    if (r.kind === 'alias') {
      n.alias = r.alias ?? undefined;
      n.target = r.target;
    }
    return n;
  }

  has(id: string): boolean {
    return this.query((q) => q('SELECT 1 FROM records WHERE id = ?').get(id)) !== undefined;
  }

  /** Every indexed field of one record. */
  full(id: string): Summary | undefined {
    const s = this.query((q) => q('SELECT summary FROM records WHERE id = ?').pluck().get(id)) as string | undefined;
    return s === undefined ? undefined : (JSON.parse(s) as Summary);
  }

  /** Every indexed field of every record (a whole-store walk: prefer a query). */
  fullSummaries(): Map<string, Summary> {
    const rows = this.query((q) => q('SELECT id, summary FROM records ORDER BY id').raw().all()) as Array<[string, string]>;
    return new Map(rows.map(([id, s]) => [id, JSON.parse(s) as Summary]));
  }

  *ids(): Generator<string> {
    yield* this.query((q) => q('SELECT id FROM records ORDER BY id').pluck().all()) as string[];
  }

  /** Ids of the records of one kind. */
  idsOfKind(kind: string): string[] {
    return this.query((q) => q('SELECT id FROM records WHERE kind = ? ORDER BY id').pluck().all(kind)) as string[];
  }

  /** A record's parents in order, with the parent's kind (undefined when it is not in the store). */
  parentsOf(id: string): Array<{ role: string; id: string; kind?: string }> {
    const rows = this.query((q) => q('SELECT e.role, e.parent, p.kind FROM edges e LEFT JOIN records p ON p.id = e.parent WHERE e.child = ? ORDER BY e.pos').raw().all(id)) as Array<[string, string, string | null]>;
    return rows.map(([role, pid, kind]) => ({ role, id: pid, ...(kind !== null ? { kind } : {}) }));
  }

  /** The records that name `id` as a parent, with the role and the child's kind. */
  childrenWithKind(id: string): Array<{ role: string; id: string; kind: string }> {
    const rows = this.query((q) => q('SELECT e.role, e.child, c.kind FROM edges e JOIN records c ON c.id = e.child WHERE e.parent = ? ORDER BY e.child, e.pos').raw().all(id)) as Array<[string, string, string]>;
    return rows.map(([role, cid, kind]) => ({ role, id: cid, kind }));
  }

  /** The records that name `id` as a parent, with the role. */
  childrenOf(id: string): Edge[] {
    return this.childrenWithKind(id).map(({ role, id: cid }) => ({ role, id: cid }));
  }

  /**
   * One step of a lineage walk for a whole frontier at once (walk-table keys): every parent
   * (`up`) or child (`down`) link of these records, in no particular order (lineage.ts orders
   * each record's links).
   */
  step(ns: number[], direction: 'up' | 'down'): WalkLinks {
    const sql = direction === 'up'
      ? `SELECT ${linksText('child', 'parent')} FROM json_each(?) j JOIN links l ON l.child = j.value JOIN nodes o ON o.n = l.parent`
      : `SELECT ${linksText('parent', 'child')} FROM json_each(?) j JOIN links l ON l.parent = j.value JOIN nodes o ON o.n = l.child WHERE o.view IS NOT NULL`;
    return new WalkLinks(this.query((q) => q(sql).pluck().get(JSON.stringify(ns))) as string);
  }

  /**
   * Every link a whole lineage walk from the record keyed `n` may follow, in one recursive
   * query over the integer-keyed walk tables (schema.ts nodes, links), in no particular order.
   * The recursion follows links only, so it may reach a few records lineage will not walk into
   * (past an alias or a missing record); the caller's walk decides. UNION (not UNION ALL) visits
   * each record once, however many paths reach it, so a dense DAG costs its size, not its path
   * count.
   */
  walk(n: number, direction: 'up' | 'down'): WalkLinks {
    const sql = direction === 'up'
      ? `WITH RECURSIVE walk(n) AS (SELECT ? UNION SELECT l.parent FROM walk w JOIN links l ON l.child = w.n)
         SELECT ${linksText('child', 'parent')} FROM walk w CROSS JOIN links l ON l.child = w.n CROSS JOIN nodes o ON o.n = l.parent`
      : `WITH RECURSIVE walk(n) AS (SELECT ? UNION SELECT l.child FROM walk w JOIN links l ON l.parent = w.n)
         SELECT ${linksText('parent', 'child')} FROM walk w CROSS JOIN links l ON l.parent = w.n CROSS JOIN nodes o ON o.n = l.child WHERE o.view IS NOT NULL`;
    return new WalkLinks(this.smallCache(() => this.query((q) => q(sql).pluck().get(n)) as string));
  }

  /**
   * fn run with a 128 KiB page cache. A walk reads each page of its records once or twice, and
   * each page the cache adds is fresh memory (~20 µs on this VM): at 2 MiB, a 10,000-record walk
   * filled the whole cache (~500 pages) for nothing.
   */
  private smallCache<T>(fn: () => T): T {
    const db = this.h.db;
    const size = db.pragma('cache_size', { simple: true }) as number;
    db.pragma('cache_size = -128');
    try {
      return fn();
    } finally {
      if (db.open) db.pragma(`cache_size = ${size}`);
    }
  }

  /** A walk's start, as a link from the record to itself (no link: not indexed). */
  walkStart(id: string): WalkLinks {
    const sql = `SELECT ${linksText('n', 'n', true)} FROM (SELECT n, 0 AS pos, '' AS role FROM nodes WHERE id = ? AND view IS NOT NULL) l JOIN nodes o ON o.n = l.n`;
    return new WalkLinks(this.query((q) => q(sql).pluck().get(id)) as string);
  }

  /** The lineage view of a record, with its code commit when it has one (a walk's start). */
  walkRow(id: string): WalkStart | undefined {
    const r = this.query((q) => q('SELECT view, "commit" FROM nodes WHERE id = ? AND view IS NOT NULL').raw().get(id)) as [string, string | null] | undefined;
    return r && { view: JSON.parse(r[0]) as Described, ...(r[1] !== null ? { commit: r[1] } : {}) };
  }

  /** Ids of version `version` of the line (kind, name): one unless two branches both made it. */
  versionOf(kind: string, name: string, version: number): string[] {
    return this.query((q) => q('SELECT id FROM records INDEXED BY records_line WHERE name = ? AND kind = ? AND version = ? ORDER BY created DESC, id').pluck().all(name, kind, version)) as string[];
  }

  /** The lineage view of a record. */
  describe(id: string): Described | undefined {
    const r = this.row(id);
    if (!r) return undefined;
    return { id, kind: r.kind, ...(r.name !== null ? { name: r.name } : {}), ...(r.version ? { version: r.version } : {}), label: labelOf(r), facts: JSON.parse(r.facts) as Described['facts'] };
  }

  /** Records of a line: (kind, name), or an alias chain as ('alias', 'name@alias'). */
  private members(kind: string, name: string, extra = ''): string[] {
    if (kind === 'alias') {
      const at = name.lastIndexOf('@');
      return this.query((q) => q(`SELECT id FROM records r INDEXED BY records_line WHERE name = ? AND kind = 'alias' AND alias = ? ${extra} ${NEWEST_FIRST}`).pluck().all(name.slice(0, at), name.slice(at + 1))) as string[];
    }
    return this.query((q) => q(`SELECT id FROM records r INDEXED BY records_line WHERE name = ? AND kind = ? ${extra} ${NEWEST_FIRST}`).pluck().all(name, kind)) as string[];
  }

  /** The line keys present (of one name, when given): `kind\0name` (alias chains as `alias\0name@alias`). */
  lineKeys(name?: string): string[] {
    const rows = (name === undefined
      ? this.query((q) => q('SELECT DISTINCT name, kind, alias FROM records WHERE name IS NOT NULL').raw().all())
      // kinds from the index alone (no row reads: a 10,000-version line is 10,000 rows); alias names from alias rows only
      : this.query((q) => q(`SELECT name, kind, NULL FROM (SELECT DISTINCT name, kind FROM records INDEXED BY records_line WHERE name = ?) WHERE kind != 'alias'
          UNION ALL SELECT DISTINCT name, kind, alias FROM records INDEXED BY records_line WHERE name = ? AND kind = 'alias'`).raw().all(name, name))) as Array<[string, string, string | null]>;
    const keys: string[] = [];
    for (const [name, kind, alias] of rows) {
      if (kind === 'alias') {
        if (alias !== null) keys.push(lineKey('alias', `${name}@${alias}`));
      } else if (isVersioned(kind)) keys.push(lineKey(kind, name));
    }
    return keys;
  }

  /** Ids of a line, newest version first (ties by created, then id, for a stable order). */
  line(kind: string, name: string): string[] {
    return this.members(kind, name);
  }

  /** The versions of a line that no later version of the same line names as `previous`. */
  heads(kind: string, name: string): string[] {
    // CROSS JOIN keeps SQLite's planner from scanning the whole line per version (edges first).
    return this.members(kind, name, `AND NOT EXISTS (SELECT 1 FROM edges e CROSS JOIN records c ON c.id = e.child
      WHERE e.parent = r.id AND e.role = 'previous' AND c.name = r.name AND c.kind = r.kind AND c.alias IS r.alias)`);
  }

  /** Versioned kinds that have a line with this name. */
  kindsNamed(name: string): string[] {
    const kinds = this.query((q) => q('SELECT DISTINCT kind FROM records WHERE name = ?').pluck().all(name)) as string[];
    return kinds.filter(isVersioned).sort();
  }

  label(id: string): string {
    const r = this.row(id);
    return r ? labelOf(r) : id.slice(0, 12);
  }

  /** Records holding this content: artifacts, outputs and manifest files, with the path recorded. */
  withHash(sha256: string): Array<{ id: string; how: 'artifact' | 'output' | 'file'; path: string | null }> {
    return this.query((q) => q('SELECT id, how, path FROM hashes WHERE sha256 = ? ORDER BY id, rowid').all(sha256)) as Array<{ id: string; how: 'artifact' | 'output' | 'file'; path: string | null }>;
  }
}

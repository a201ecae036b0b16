// `find` as one SQL query over the index: kind/name/time filters, the --where expressions
// (query.ts parses them) compiled to SQL, the sort, and --limit/--offset paging.
//
// Nothing from the expression is ever spliced into the SQL text: field names and values
// are bound parameters; the SQL text is built only from the fixed pieces below. Fields
// under params/metrics use the `fields` table (indexed by key and value); the record's
// columns serve kind, name, created, author, code.commit and version; any other field,
// and any comparison whose meaning the columns cannot give exactly, is asked of
// `mlm_cmp`, the JavaScript evaluator (query.ts `matches`) over the record's summary —
// so every path answers exactly as the evaluator does.
import type { SqlDatabase } from '../lazy-deps.js';
import { getPath, matches, type Expr, type Op } from './query.js';
import type { Graph } from './graph.js';
import type { Summary } from './summary.js';

export interface FindQuery {
  kind?: string;
  name?: string;
  where: Expr[];
  /** created at or after / before (ISO text) */
  since?: string;
  until?: string;
  /** dotted field path; default created */
  sort?: string;
  ascending?: boolean;
  limit?: number;
  offset?: number;
}

/** Expressions with more comparisons than this are evaluated whole by mlm_match (same answers; keeps the SQL small). */
const MAX_SQL_TERMS = 256;

const SQL_OP: Record<Exclude<Op, '~'>, string> = { '=': '=', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
/** String columns: their value is always text or absent (rows.ts). */
const TEXT_COLUMNS: Record<string, string> = { id: 'r.id', kind: 'r.kind', name: 'r.name', created: 'r.created', author: 'r.author', 'code.commit': 'r."commit"' };

const registered = new WeakSet<SqlDatabase>();

/** The JavaScript side of the query: exact evaluator semantics where SQL alone would differ. */
function registerFunctions(db: SqlDatabase): void {
  if (registered.has(db)) return;
  // One record's parsed summary, kept while the same row is asked about several times.
  let lastId = '';
  let lastRecord: unknown;
  const recordOf = (id: string, summary: string) => {
    if (id !== lastId) {
      lastRecord = { id, ...(JSON.parse(summary) as object) };
      lastId = id;
    }
    return lastRecord;
  };
  const exprs = new Map<string, Expr>();
  db.function('mlm_has', { deterministic: true }, (text: string | null, part: string) => (text !== null && String(text).toLowerCase().includes(String(part).toLowerCase()) ? 1 : 0));
  db.function('mlm_cmp', { deterministic: true }, (id: string, summary: string, field: string, op: Op, value: string | number) =>
    (matches({ type: 'cmp', field: JSON.parse(field) as string[], op, value }, recordOf(id, summary)) ? 1 : 0));
  db.function('mlm_match', { deterministic: true }, (id: string, summary: string, expr: string) => {
    let e = exprs.get(expr);
    if (!e) {
      e = JSON.parse(expr) as Expr;
      exprs.set(expr, e);
    }
    return matches(e, recordOf(id, summary)) ? 1 : 0;
  });
  db.function('mlm_get', { deterministic: true }, (id: string, summary: string, field: string) => {
    const v = getPath(recordOf(id, summary), JSON.parse(field) as string[]);
    return typeof v === 'number' || typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : null;
  });
  registered.add(db);
}

function countTerms(e: Expr): number {
  switch (e.type) {
    case 'and': case 'or': return e.terms.reduce((n, t) => n + countTerms(t), 0);
    case 'not': return countTerms(e.expr);
    case 'cmp': return 1;
  }
}

/** a AND b AND c … as a balanced tree: SQLite limits expression depth, not width. */
function joinBalanced(parts: string[], op: 'AND' | 'OR'): string {
  if (parts.length === 1) return parts[0]!;
  const mid = parts.length >> 1;
  return `(${joinBalanced(parts.slice(0, mid), op)} ${op} ${joinBalanced(parts.slice(mid), op)})`;
}

function compile(e: Expr, params: unknown[]): string {
  switch (e.type) {
    case 'and': case 'or': return joinBalanced(e.terms.map((t) => compile(t, params)), e.type === 'and' ? 'AND' : 'OR');
    case 'not': return `(NOT ${compile(e.expr, params)})`;
    case 'cmp': return compileCmp(e, params);
  }
}

function compileCmp(e: Extract<Expr, { type: 'cmp' }>, params: unknown[]): string {
  const { field, op, value } = e;
  const key = field.join('.');
  if ((field[0] === 'params' || field[0] === 'metrics') && field.length >= 2) {
    // compare() in query.ts: a number against a number (or numeric text) as numbers, else as text
    let cond: string;
    if (op === '~') {
      cond = 'mlm_has(f.txt, ?)';
      params.push(key, String(value));
    } else {
      const sqlOp = op === '!=' ? '=' : SQL_OP[op];
      if (typeof value === 'number') {
        cond = `((f.num IS NOT NULL AND f.num ${sqlOp} ?) OR (f.num IS NULL AND f.txt ${sqlOp} ?))`;
        params.push(key, value, String(value));
      } else {
        cond = `f.txt ${sqlOp} ?`;
        params.push(key, value);
      }
    }
    // A missing field (or a mapping or list there) matches nothing but `!=`.
    const exists = `EXISTS (SELECT 1 FROM fields f WHERE f.id = r.id AND f.key = ? AND ${cond})`;
    return op === '!=' ? `(NOT ${exists})` : exists;
  }
  const column = TEXT_COLUMNS[key];
  if (column && typeof value === 'string') {
    if (op === '~') {
      params.push(value);
      return `mlm_has(${column}, ?)`;
    }
    params.push(value);
    return op === '!=' ? `(${column} IS NULL OR ${column} != ?)` : `${column} ${SQL_OP[op]} ?`;
  }
  if (key === 'version' && typeof value === 'number' && op !== '~') {
    params.push(value);
    return op === '!=' ? '(r.version IS NULL OR r.version != ?)' : `r.version ${SQL_OP[op]} ?`;
  }
  params.push(JSON.stringify(field), op, value);
  return 'mlm_cmp(r.id, r.summary, ?, ?, ?) = 1';
}

/**
 * How hits are ordered. Missing values come last either way, ties by id: the hits that have
 * the sort value are one query (ordered by an index: `--sort metrics.auc --limit 20` reads
 * 20 entries of fields_num, not every hit), those without it a second one, asked only when
 * the page reaches past the first.
 */
interface Ordering {
  /** SQL after FROM records r for the hits with a value, and its parameters */
  withValue: { from: string; params: unknown[]; order: string; cond?: string };
  /** condition for the hits without one */
  without?: { cond: string; params: unknown[] };
  /** a single query (no index can serve the order) */
  single?: { order: string; params: unknown[] };
}

function orderBy(sort: string, desc: boolean): Ordering {
  const dir = desc ? 'DESC' : 'ASC';
  const field = sort.split('.');
  if ((field[0] === 'params' || field[0] === 'metrics') && field.length >= 2) {
    return {
      withValue: { from: 'JOIN fields s ON s.id = r.id AND s.key = ?', params: [sort], order: `ORDER BY s.num ${dir}, s.txt ${dir}, r.id ASC` },
      without: { cond: 'NOT EXISTS (SELECT 1 FROM fields s WHERE s.id = r.id AND s.key = ?)', params: [sort] },
    };
  }
  const column = TEXT_COLUMNS[sort] ?? (sort === 'version' ? 'r.version' : undefined);
  if (column) return { withValue: { from: '', params: [], order: `ORDER BY ${column} ${dir}, r.id ASC`, cond: `${column} IS NOT NULL` }, without: { cond: `${column} IS NULL`, params: [] } };
  const path = JSON.stringify(field);
  return { withValue: { from: '', params: [], order: '' }, single: { order: `ORDER BY (mlm_get(r.id, r.summary, ?) IS NULL), mlm_get(r.id, r.summary, ?) ${dir}, r.id ASC`, params: [path, path] } };
}

function where(conds: string[]): string {
  return conds.length ? `WHERE ${conds.join(' AND ')}` : '';
}

export function findIds(graph: Graph, q: FindQuery): Array<{ id: string; record: Summary }> {
  registerFunctions(graph.db);
  const conds: string[] = [];
  const condParams: unknown[] = [];
  if (q.kind !== undefined) { conds.push('r.kind = ?'); condParams.push(q.kind); }
  // A series is part of the run that names it (records/history.ts), not a record to list.
  else conds.push("r.kind != 'series'");
  if (q.name !== undefined) { conds.push('r.name = ?'); condParams.push(q.name); }
  if (q.since !== undefined) { conds.push('r.created >= ?'); condParams.push(q.since); }
  if (q.until !== undefined) { conds.push('r.created < ?'); condParams.push(q.until); }
  for (const e of q.where) {
    if (countTerms(e) > MAX_SQL_TERMS) {
      conds.push('mlm_match(r.id, r.summary, ?) = 1');
      condParams.push(JSON.stringify(e));
    } else {
      conds.push(compile(e, condParams));
    }
  }
  const o = orderBy(q.sort ?? 'created', !q.ascending);
  const limit = q.limit ?? -1;
  const offset = q.offset ?? 0;
  const run = (sql: string, params: unknown[]) => graph.query((stmt) => stmt(sql).raw().all(...params)) as Array<[string, string]>;
  let rows: Array<[string, string]>;
  if (o.single) {
    rows = run(`SELECT r.id, r.summary FROM records r ${where(conds)} ${o.single.order} LIMIT ? OFFSET ?`, [...condParams, ...o.single.params, limit, offset]);
  } else {
    // Parameters are bound in the order they appear in the text.
    const w = o.withValue;
    const valued = w.cond ? [...conds, w.cond] : conds;
    const valuedParams = [...w.params, ...condParams];
    rows = run(`SELECT r.id, r.summary FROM records r ${w.from} ${where(valued)} ${w.order} LIMIT ? OFFSET ?`, [...valuedParams, limit, offset]);
    if (o.without && (limit < 0 || rows.length < limit)) {
      const before = offset > 0 ? (graph.query((stmt) => stmt(`SELECT count(*) FROM records r ${w.from} ${where(valued)}`).pluck().get(...valuedParams)) as number) : 0;
      const rest = run(`SELECT r.id, r.summary FROM records r ${where([...conds, o.without.cond])} ORDER BY r.id ASC LIMIT ? OFFSET ?`,
        [...condParams, ...o.without.params, limit < 0 ? -1 : limit - rows.length, Math.max(0, offset - before)]);
      rows = rows.concat(rest);
    }
  }
  return rows.map(([id, s]) => ({ id, record: JSON.parse(s) as Summary }));
}

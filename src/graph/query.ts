// `find --where EXPR`: a small expression language over record fields.
//   expr    := or
//   or      := and ('or' and)*
//   and     := unary ('and' unary)*
//   unary   := 'not' unary | '(' expr ')' | compare
//   compare := FIELD OP VALUE        OP: = != < <= > >= ~ (substring)
// FIELD is a dotted path (`metrics.auc`, `params.opt.lr`, `code.commit`, `author`, …);
// VALUE a number, a quoted string, or a bare word. Numbers compare as numbers, everything
// else as text (ISO timestamps compare correctly as text). A missing field matches nothing
// but `!=`. A malformed expression is a usage error that points at the position.
// Parsing recurses only on '(' and 'not', at most MAX_NESTING levels (20,000 '(' must be a
// usage error, not a stack overflow); 'and'/'or' chains are flat lists of any length.
import { MlmetaError } from '../errors.js';

export type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | '~';

export const MAX_NESTING = 64;

export type Expr =
  | { type: 'and' | 'or'; terms: Expr[] }
  | { type: 'not'; expr: Expr }
  | { type: 'cmp'; field: string[]; op: Op; value: string | number };

interface Token {
  kind: 'word' | 'string' | 'op' | '(' | ')';
  text: string;
  pos: number;
}

function usage(src: string, pos: number, msg: string): MlmetaError {
  // Quote at most 40 characters either side of the position: the line stays readable.
  const before = pos > 40 ? `…${src.slice(pos - 40, pos)}` : src.slice(0, pos);
  const after = src.length - pos > 40 ? `${src.slice(pos, pos + 40)}…` : src.slice(pos);
  return new MlmetaError('E_USAGE', `bad --where expression at position ${pos + 1}: ${msg} in ${JSON.stringify(before + ' ⟶ ' + after)}`, { position: pos + 1 });
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')') { tokens.push({ kind: c, text: c, pos: i }); i++; continue; }
    const op = /^(<=|>=|!=|=|<|>|~)/.exec(src.slice(i));
    if (op) { tokens.push({ kind: 'op', text: op[1]!, pos: i }); i += op[1]!.length; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        text += src[j];
        j++;
      }
      if (j >= src.length) throw usage(src, i, 'unterminated string');
      tokens.push({ kind: 'string', text, pos: i });
      i = j + 1;
      continue;
    }
    const word = /^[^\s()<>=!~"']+/.exec(src.slice(i));
    if (!word) throw usage(src, i, `unexpected ${JSON.stringify(c)}`);
    tokens.push({ kind: 'word', text: word[0], pos: i });
    i += word[0].length;
  }
  return tokens;
}

export function parseWhere(src: string): Expr {
  const tokens = tokenize(src);
  let k = 0;
  const peek = () => tokens[k];
  const isWord = (w: string) => peek()?.kind === 'word' && peek()!.text.toLowerCase() === w;
  const end = () => src.length;

  const parseOr = (depth: number): Expr => {
    const terms = [parseAnd(depth)];
    while (isWord('or')) { k++; terms.push(parseAnd(depth)); }
    return terms.length === 1 ? terms[0]! : { type: 'or', terms };
  };
  const parseAnd = (depth: number): Expr => {
    const terms = [parseUnary(depth)];
    while (isWord('and')) { k++; terms.push(parseUnary(depth)); }
    return terms.length === 1 ? terms[0]! : { type: 'and', terms };
  };
  const parseUnary = (depth: number): Expr => {
    const t = peek();
    if (!t) throw usage(src, end(), 'expected a comparison');
    if ((isWord('not') || t.kind === '(') && depth >= MAX_NESTING) {
      throw usage(src, t.pos, `nested more than ${MAX_NESTING} levels of '(' and 'not'`);
    }
    if (isWord('not')) { k++; return { type: 'not', expr: parseUnary(depth + 1) }; }
    if (t.kind === '(') {
      k++;
      const e = parseOr(depth + 1);
      if (peek()?.kind !== ')') throw usage(src, peek()?.pos ?? end(), "expected ')'");
      k++;
      return e;
    }
    if (t.kind !== 'word') throw usage(src, t.pos, 'expected a field name');
    if (!/^[A-Za-z_$][\w$-]*(\.[\w$-]+)*$/.test(t.text)) throw usage(src, t.pos, `bad field name ${JSON.stringify(t.text)}`);
    k++;
    const op = peek();
    if (!op || op.kind !== 'op') throw usage(src, op?.pos ?? end(), 'expected an operator: = != < <= > >= ~');
    k++;
    const v = peek();
    if (!v || (v.kind !== 'word' && v.kind !== 'string')) throw usage(src, v?.pos ?? end(), 'expected a value');
    k++;
    const num = v.kind === 'word' && /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v.text) ? Number(v.text) : undefined;
    return { type: 'cmp', field: t.text.split('.'), op: op.text as Op, value: num ?? v.text };
  };

  const expr = parseOr(0);
  if (k < tokens.length) throw usage(src, tokens[k]!.pos, `unexpected ${JSON.stringify(tokens[k]!.text)}`);
  return expr;
}

export function getPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function compare(actual: unknown, op: Op, value: string | number): boolean {
  if (actual === undefined || actual === null || typeof actual === 'object') return op === '!=';
  if (op === '~') return String(actual).toLowerCase().includes(String(value).toLowerCase());
  let a: string | number | boolean = actual as string | number | boolean;
  let b: string | number = value;
  if (typeof value === 'number' && typeof a !== 'number') {
    if (typeof a === 'string' && a.trim() !== '' && Number.isFinite(Number(a))) a = Number(a);
    else b = String(value);
  }
  if (typeof a === 'boolean') a = String(a);
  if (typeof a === 'number' && typeof b === 'string') a = String(a);
  switch (op) {
    case '=': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
  }
  return false;
}

export function matches(expr: Expr, record: unknown): boolean {
  switch (expr.type) {
    case 'and': return expr.terms.every((t) => matches(t, record));
    case 'or': return expr.terms.some((t) => matches(t, record));
    case 'not': return !matches(expr.expr, record);
    case 'cmp': return compare(getPath(record, expr.field), expr.op, expr.value);
  }
}


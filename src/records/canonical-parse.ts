// A fast reader for mlmeta's own canonical YAML (yaml.ts canonicalYaml): a block mapping
// of block mappings and sequences, keys in sorted order, scalars plain, quoted on one line,
// or literal blocks, `[]` and `{}`. It reads exactly that subset and gives up (null) on
// anything else, so the caller falls back to js-yaml, which then parses or refuses the text
// as before. A cold index build reads every stored record once, and js-yaml's general
// parser was a third of that build's CPU (docs/BENCH.md); this one reads each line once.
//
// Same answers as js-yaml's `load` (CORE schema) by construction where it can matter:
// plain scalars are resolved by js-yaml's own core tags (null, bool, int, float, in the
// schema's order) and keys become text as its map tag makes them. Whatever is ambiguous is
// refused: comments, tabs, blank lines between entries, unsorted or repeated keys (js-yaml
// refuses repeats; canonical keys are sorted), folded and indented block headers, flow
// collections with content, multi-line plain or quoted scalars, anchors, tags, `?` keys,
// document markers, characters js-yaml would have escaped. test/records/canonical-parse.test.ts
// pins the equivalence (random records, and hostile mutations of them).
import { boolCoreTag, floatCoreTag, intCoreTag, NOT_RESOLVED, nullCoreTag } from 'js-yaml';
import type { Json } from './yaml.js';

/** Refusal inside the parser (caught at the top: the text is not in the canonical subset). */
const NO: unique symbol = Symbol('not canonical');
function no(): never {
  throw NO;
}

/** Nesting past this is left to js-yaml (its own limit, yaml.ts MAX_DEPTH, then applies). */
const DEPTH = 60;

/** Raw characters canonicalYaml writes as they are (js-yaml's printable set), plus newline. */
const UNSAFE = /[^\n\x20-\x7E\u00A1-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]|[\u2028\u2029\uFEFF]/u;

/** First characters a plain scalar may not start with (YAML indicators). */
const NOT_FIRST = new Set([' ', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

const IMPLICIT = [nullCoreTag, boolCoreTag, intCoreTag, floatCoreTag].map((t) => ({
  tag: t,
  first: t.implicitFirstChars === null ? null : new Set(t.implicitFirstChars),
}));

/** What js-yaml's CORE schema makes of a plain scalar. */
function resolvePlain(s: string): Json {
  const c = s[0]!;
  for (const { tag, first } of IMPLICIT) {
    if (first !== null && !first.has(c)) continue;
    const v = tag.resolve(s, false, tag.tagName);
    if (v !== NOT_RESOLVED) return v as Json;
  }
  return s;
}

/** A plain scalar on one line whose meaning in block context is its text (then resolved). */
function plain(s: string): Json {
  const c = s[0]!;
  // `-`, `?` and `:` start a plain scalar only when a non-space follows
  if (s === '' || NOT_FIRST.has(c) || ((c === '-' || c === '?' || c === ':') && (s.length === 1 || s[1] === ' '))) no();
  if (s.endsWith(' ') || s.endsWith(':') || s.includes(': ') || s.includes(' #')) no();
  return resolvePlain(s);
}

function indentOf(line: string): number {
  let i = 0;
  while (line.charCodeAt(i) === 32) i++;
  return i;
}

const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029',
};
const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };

/** A quoted scalar starting at `at`, closed on the same line: [value, index after the closing quote]. */
function quoted(line: string, at: number): [string, number] {
  const q = line[at];
  let out = '';
  let i = at + 1;
  if (q === "'") {
    for (;;) {
      const j = line.indexOf("'", i);
      if (j < 0) no();
      out += line.slice(i, j);
      if (line[j + 1] === "'") {
        out += "'";
        i = j + 2;
      } else return [out, j + 1];
    }
  }
  for (;;) {
    const j = i;
    while (i < line.length && line[i] !== '"' && line[i] !== '\\') i++;
    out += line.slice(j, i);
    if (i >= line.length) no();
    if (line[i] === '"') return [out, i + 1];
    const e = line[i + 1];
    if (e === undefined) no();
    const simple = ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i += 2;
      continue;
    }
    const n = HEX_DIGITS[e];
    if (n === undefined) no();
    const hex = line.slice(i + 2, i + 2 + n);
    if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) no();
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff) no();
    out += cp <= 0xffff ? String.fromCharCode(cp) : String.fromCodePoint(cp); // as js-yaml: a lone surrogate stays one
    i += 2 + n;
  }
}

class Reader {
  private ln = 0;
  constructor(private readonly lines: string[]) {}

  document(): { [k: string]: Json } {
    if (this.lines.length === 0) no();
    for (const l of this.lines) if (/^(?:---|\.\.\.)(?: |$)/.test(l)) no(); // document markers
    if (indentOf(this.lines[0]!) !== 0) no();
    const v = this.mapping(0, 1);
    if (this.ln !== this.lines.length) no();
    return v;
  }

  /** `key: …` at `at` on this line, or undefined when the text there is not a key. */
  private key(line: string, at: number): [string, number] | undefined {
    const c = line[at];
    if (c === "'" || c === '"') {
      const [k, end] = quoted(line, at);
      if (line[end] !== ':' || (end + 1 < line.length && line[end + 1] !== ' ')) return undefined;
      return [k, end + 1];
    }
    let k = line.indexOf(': ', at);
    if (k < 0) {
      if (line.length - 1 <= at || !line.endsWith(':')) return undefined;
      k = line.length - 1;
    }
    return [String(plain(line.slice(at, k))), k + 1];
  }

  /** A block mapping whose first key starts at column `col` of the current line. */
  private mapping(col: number, depth: number): { [k: string]: Json } {
    if (depth > DEPTH) no();
    const out: { [k: string]: Json } = {};
    let prev: string | undefined;
    for (;;) {
      const line = this.lines[this.ln]!;
      const kv = this.key(line, col);
      if (kv === undefined) no();
      const [k, after] = kv;
      if (prev !== undefined && !(k > prev)) no(); // sorted, no repeats
      prev = k;
      let v: Json;
      if (after === line.length) {
        this.ln++;
        v = this.nested(col, depth);
      } else {
        v = this.inline(line, after + 1, col, depth);
      }
      // as js-yaml's map tag: a key named __proto__ stays data
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      else out[k] = v;
      if (this.ln >= this.lines.length) return out;
      const ind = indentOf(this.lines[this.ln]!);
      if (ind < col) return out;
      if (ind > col) no();
    }
  }

  /** The block under `key:` (at column `col`): a sequence or mapping indented by two. */
  private nested(col: number, depth: number): Json {
    if (this.ln >= this.lines.length) no();
    const line = this.lines[this.ln]!;
    const ind = indentOf(line);
    if (ind !== col + 2) no();
    return line.startsWith('- ', ind) ? this.sequence(ind, depth + 1) : this.mapping(ind, depth + 1);
  }

  /** A block sequence whose first `- ` is at column `col` of the current line. */
  private sequence(col: number, depth: number): Json[] {
    if (depth > DEPTH) no();
    const out: Json[] = [];
    for (;;) {
      const line = this.lines[this.ln]!;
      if (!line.startsWith('- ', col)) no();
      const at = col + 2;
      if (line.startsWith('- ', at)) out.push(this.sequence(at, depth + 1));
      else if (line[at] !== "'" && line[at] !== '"' ? line.includes(': ', at) || line.endsWith(':') : this.isQuotedKey(line, at)) out.push(this.mapping(at, depth + 1));
      else out.push(this.inline(line, at, col, depth));
      if (this.ln >= this.lines.length) return out;
      const ind = indentOf(this.lines[this.ln]!);
      if (ind < col) return out;
      if (ind > col) no();
    }
  }

  private isQuotedKey(line: string, at: number): boolean {
    const end = quoted(line, at)[1];
    return line[end] === ':' && (end + 1 === line.length || line[end + 1] === ' ');
  }

  /** A value that starts at `at` of the current line (its owner, key or `-`, at column `col`). */
  private inline(line: string, at: number, col: number, depth: number): Json {
    const rest = line.slice(at);
    const c = rest[0];
    if (c === '|') {
      const chomp = rest === '|' ? 'clip' : rest === '|-' ? 'strip' : rest === '|+' ? 'keep' : no();
      this.ln++;
      return this.block(col + 2, chomp);
    }
    this.ln++;
    if (rest === '[]') return [];
    if (rest === '{}') {
      if (depth + 1 > DEPTH) no();
      return {};
    }
    if (c === "'" || c === '"') {
      const [s, end] = quoted(line, at);
      if (end !== line.length) no();
      return s;
    }
    return plain(rest);
  }

  /** A literal block's lines, indented by `indent` (no indentation indicator in its header). */
  private block(indent: number, chomp: 'clip' | 'strip' | 'keep'): string {
    const parts: string[] = [];
    let content = false;
    while (this.ln < this.lines.length) {
      const l = this.lines[this.ln]!;
      if (l === '') {
        parts.push('');
        this.ln++;
        continue;
      }
      const ind = indentOf(l);
      // a line of spaces only is text (its spaces past the indentation) inside the block; shorter
      // or first, its meaning depends on rules left to js-yaml
      if (ind === l.length && (ind <= indent || !content)) no();
      if (ind < indent) break;
      if (!content && ind !== indent) no(); // would be the block's detected indentation
      parts.push(l.slice(indent));
      content = true;
      this.ln++;
    }
    if (!content) no();
    let k = parts.length;
    while (parts[k - 1] === '') k--;
    const body = parts.slice(0, k).join('\n');
    if (chomp === 'strip') return body;
    return chomp === 'clip' ? `${body}\n` : `${body}\n${'\n'.repeat(parts.length - k)}`;
  }
}

/**
 * Parse a stored record's text if it is in mlmeta's canonical YAML form (a mapping at the
 * top); null when it is not, and the caller must use the general parser (yaml.ts parseYaml).
 * Never throws on any input string.
 */
export function parseRecordYaml(text: string): { [k: string]: Json } | null {
  if (!text.endsWith('\n') || UNSAFE.test(text)) return null;
  if (text === '{}\n') return {};
  const lines = text.split('\n');
  lines.pop();
  // js-yaml ends a document with `...` after a `|+` block that ends it (the marker is a no-op there)
  if (lines.length > 1 && lines[lines.length - 1] === '...') lines.pop();
  try {
    return new Reader(lines).document();
  } catch (e) {
    if (e === NO) return null;
    if (e instanceof RangeError) return null; // deep recursion: not ours to judge
    throw e;
  }
}

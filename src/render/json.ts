// `--json` output written in pieces: the exact text of `JSON.stringify(value, null, 2)`, made
// element by element for the top two levels and handed out in ~64 KB chunks. A lineage of a
// 10,000-deep chain is 8.5 MB of JSON; as one string it was built, scanned for unsafe
// characters, copied into one 8.5 MB buffer and written (~0.3 s here, mostly fresh memory
// and the garbage collector); in pieces, that step takes about half the time (docs/BENCH.md).
import { printableJson } from './safe.js';

const CHUNK = 1 << 16;

/**
 * An array given as its elements' compact JSON text (as JSON.stringify(element) wrote it),
 * each made when it is written: writeJson lays each out exactly as JSON.stringify(element,
 * null, 2) would, from the text (layout below). A lineage's 10,000 record views come from the
 * index as such text; parsing them into objects only to print them again was most of the
 * output's cost (docs/BENCH.md, sixth wave).
 */
export class JsonTexts {
  constructor(readonly length: number, readonly at: (i: number) => string) {}
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const newlines: string[] = [];
/** A newline and `level` indentation steps of two spaces. */
const newline = (level: number) => (newlines[level] ??= `\n${'  '.repeat(level)}`);

/** The index of the quote closing the JSON string that opens at `open`. */
function stringEnd(text: string, open: number): number {
  let end = text.indexOf('"', open + 1);
  for (;;) {
    if (end < 0) throw new Error('JSON text with an unterminated string');
    let slashes = 0;
    while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/**
 * Compact JSON text (JSON.stringify's, no whitespace) laid out as JSON.stringify(value, null, 2)
 * lays out the value it holds, at `level` steps of indentation after its first line: a newline
 * after `{`, `[` and `,` and before `}` and `]` (but `{}` and `[]` stay), a space after `:`.
 * Strings are copied as they are (their escapes are JSON.stringify's already).
 */
export function layout(text: string, level: number): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const next = text.charCodeAt(i + 1);
      if (next === CLOSE_BRACE || next === CLOSE_BRACKET) i++;
      else {
        out += text.slice(from, i + 1) + newline(++level);
        from = i + 1;
      }
    } else if (c === COMMA) {
      out += text.slice(from, i + 1) + newline(level);
      from = i + 1;
    } else if (c === COLON) {
      out += `${text.slice(from, i + 1)} `;
      from = i + 1;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      out += text.slice(from, i) + newline(--level);
      from = i;
    }
  }
  return out + text.slice(from);
}

/** JSON.stringify calls toJSON(key) with the value's key: such a value (or a container holding one) is left to it whole. */
const hasToJSON = (v: unknown) => v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function';

/** Arrays and plain objects (no toJSON) are laid out here; anything else is JSON.stringify's. */
function isContainer(v: unknown): v is unknown[] | Record<string, unknown> {
  if (v === null || typeof v !== 'object' || hasToJSON(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return Array.isArray(v) || proto === Object.prototype || proto === null;
}

/** JSON.stringify leaves out (in objects) or writes null for (in arrays) these. */
const skipped = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/** One value's text at this indentation (its first line is not indented; later ones are). */
function leaf(v: unknown, indent: string): string {
  const text = JSON.stringify(v, null, 2);
  // JSON text has no raw newline inside strings: every one is layout
  return indent ? text.replace(/\n/g, `\n${indent}`) : text;
}

function* pieces(value: unknown, indent: string, depth: number): Generator<string> {
  if (value instanceof JsonTexts) {
    if (value.length === 0) return yield '[]';
    const level = indent.length / 2 + 1;
    yield '[';
    for (let i = 0; i < value.length; i++) yield `${i ? ',' : ''}${newline(level)}${layout(value.at(i), level)}`;
    yield newline(level - 1) + ']';
    return;
  }
  if (depth >= 2 || !isContainer(value) || Object.values(value).some(hasToJSON)) {
    yield leaf(value, indent);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return yield '[]';
    yield '[';
    for (let i = 0; i < value.length; i++) {
      yield `${i ? ',' : ''}\n${inner}`;
      const v = value[i];
      if (skipped(v)) yield 'null';
      else yield* pieces(v, inner, depth + 1);
    }
    yield `\n${indent}]`;
    return;
  }
  const keys = Object.keys(value).filter((k) => !skipped(value[k]));
  if (keys.length === 0) return yield '{}';
  yield '{';
  for (let i = 0; i < keys.length; i++) {
    yield `${i ? ',' : ''}\n${inner}${JSON.stringify(keys[i])}: `;
    yield* pieces(value[keys[i]!], inner, depth + 1);
  }
  yield `\n${indent}}`;
}

/**
 * Write `printableJson(JSON.stringify(value, null, 2)) + '\n'` through `write`, in chunks
 * (the unsafe characters are escaped chunk by chunk: the escape is per character, and JSON's
 * own layout holds none of them).
 */
export function writeJson(value: unknown, write: (chunk: string) => void): void {
  let parts: string[] = [];
  let size = 0;
  for (const p of pieces(value, '', 0)) {
    parts.push(p);
    size += p.length;
    if (size >= CHUNK) {
      write(printableJson(parts.join('')));
      parts = [];
      size = 0;
    }
  }
  parts.push('\n');
  write(printableJson(parts.join('')));
}

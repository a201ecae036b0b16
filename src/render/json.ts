// `--json` output written in pieces: the exact text of `JSON.stringify(value, null, 2)`, made
// element by element for the top two levels and handed out in ~64 KB chunks. A lineage of a
// 10,000-deep chain is 8.5 MB of JSON; as one string it was built, scanned for unsafe
// characters, copied into one 8.5 MB buffer and written (~0.3 s here, mostly fresh memory
// and the garbage collector); in pieces, that step takes about half the time (docs/BENCH.md).
import { printableJson } from './safe.js';

const CHUNK = 1 << 16;

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
  const text = printableJson(JSON.stringify(v, null, 2));
  // JSON text has no raw newline inside strings: every one is layout
  return indent ? text.replace(/\n/g, `\n${indent}`) : text;
}

function* pieces(value: unknown, indent: string, depth: number): Generator<string> {
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
    yield `${i ? ',' : ''}\n${inner}${printableJson(JSON.stringify(keys[i]))}: `;
    yield* pieces(value[keys[i]!], inner, depth + 1);
  }
  yield `\n${indent}}`;
}

/** Write `printableJson(JSON.stringify(value, null, 2)) + '\n'` through `write`, in chunks. */
export function writeJson(value: unknown, write: (chunk: string) => void): void {
  let parts: string[] = [];
  let size = 0;
  for (const p of pieces(value, '', 0)) {
    parts.push(p);
    size += p.length;
    if (size >= CHUNK) {
      write(parts.join(''));
      parts = [];
      size = 0;
    }
  }
  parts.push('\n');
  write(parts.join(''));
}

// The one canonical YAML form, and the one guarded YAML reader.
//
// Writer: js-yaml 5 `dump` with sorted keys (plain character-code order), no line folding,
// no anchors; values are normalised first (-0 → 0; non-finite numbers, undefined, functions
// and other non-JSON values refused), so equal content always gives equal bytes. js-yaml
// quotes YAML 1.1 look-alikes ('yes', '2024-01-01', 'on'), so PyYAML reads the same values.
// Golden ids in test/records/yaml.test.ts pin this form.
//
// Reader: input may be hostile (params files, objects from other tools). Aliases are
// refused outright (an alias bomb expands to gigabytes once anything walks it), nesting
// is capped, and only the CORE schema's plain types are built: no custom tags. Text in the
// canonical form is read by canonical-parse.ts instead (same answers, several times faster).
import { randomBytes } from 'node:crypto';
import { dump, load } from 'js-yaml';
import { MlmetaError } from '../errors.js';
import { parseRecordYaml } from './canonical-parse.js';

export { parseRecordYaml };

export const MAX_DEPTH = 64;
export const MAX_YAML_BYTES = 16 * 1024 * 1024;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode bytes as strict UTF-8 (refusing invalid sequences, NUL bytes and a BOM-less mess). */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new MlmetaError('E_BAD_YAML', `${what} is not valid UTF-8`);
  }
  if (text.includes('\u0000')) throw new MlmetaError('E_BAD_YAML', `${what} contains a NUL byte`);
  return text;
}

/** Parse one YAML (or JSON) document with hard limits. Returns plain JSON-like data. */
export function parseYaml(text: string, what: string): Json {
  if (text.length > MAX_YAML_BYTES) throw new MlmetaError('E_BAD_YAML', `${what} is larger than ${MAX_YAML_BYTES} bytes`);
  // mlmeta's own canonical form (every stored record) has a fast reader with the same answers
  const fast = parseRecordYaml(text);
  if (fast !== null) return fast;
  try {
    return load(text, { maxAliases: 0, maxDepth: MAX_DEPTH, filename: what }) as Json;
  } catch (e) {
    const reason = e instanceof Error ? (e as { reason?: string }).reason ?? e.message : String(e);
    const mark = (e as { mark?: { line: number; column: number } }).mark;
    const where = mark ? ` (line ${mark.line + 1}, column ${mark.column + 1})` : '';
    throw new MlmetaError('E_BAD_YAML', `${what} is not acceptable YAML: ${firstLine(reason)}${where}`);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/** Normalise a value into canonical JSON-like data, refusing what YAML cannot carry exactly. */
export function normalise(value: unknown, where = 'value', depth = 0): Json {
  if (depth > MAX_DEPTH) throw new MlmetaError('E_BAD_INPUT', `${where} is nested more than ${MAX_DEPTH} levels`);
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new MlmetaError('E_BAD_INPUT', `${where} is not a finite number`);
      return Object.is(value, -0) ? 0 : value;
    case 'object': {
      if (Array.isArray(value)) return value.map((v, i) => normalise(v, `${where}[${i}]`, depth + 1));
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new MlmetaError('E_BAD_INPUT', `${where} is not plain data`);
      }
      const out: { [k: string]: Json } = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue;
        // defineProperty: a key named `__proto__` (from a file or another tool) stays data,
        // never the object's prototype.
        Object.defineProperty(out, k, { value: normalise(v, `${where}.${k}`, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new MlmetaError('E_BAD_INPUT', `${where} has a value of type ${typeof value} that a record cannot hold`);
  }
}

/** The canonical bytes of a value. */
export function canonicalYaml(value: unknown, longString = LONG_STRING): string {
  const blocks = new Map<string, string>();
  // the placeholder's nonce is drawn only for a value that has a long string (random bytes per record cost ~5% of writing one)
  let nonce: string | undefined;
  const v = setAsideBlocks(normalise(value), blocks, () => (nonce ??= randomBytes(6).toString('hex')), longString);
  let text = dump(v, { sortKeys: true, lineWidth: -1, noRefs: true, indent: 2 });
  for (const [token, str] of blocks) text = putBlock(text, token, str);
  return text;
}

// js-yaml tests every string against its scalar-style regexes, which recurse per character:
// a 2.8 MB metric curve (10^5 points, records/history.ts) overflows the stack, and 3·10^4
// points take 0.6 s. A long mapping value made of lines of printable ASCII (single spaces
// inside, each line ending in one newline) is what js-yaml writes as a `|` literal block, so
// such strings are set aside and written as that very block, byte for byte (pinned against
// js-yaml itself in test/records/yaml.test.ts).
const LONG_STRING = 1 << 14;

function blockSafe(s: string): boolean {
  // printable ASCII, spaces and newlines only; ends in one newline; no empty line, no
  // leading, trailing or double space (native regex scans: 4.5 MB in a few ms)
  return s.endsWith('\n') && !/[^!-~ \n]|^ |\n |  | \n|\n\n|^\n/.test(s);
}

function setAsideBlocks(v: Json, blocks: Map<string, string>, nonce: () => string, longString: number): Json {
  if (Array.isArray(v)) return v.map((x) => setAsideBlocks(x, blocks, nonce, longString));
  if (v === null || typeof v !== 'object') return v;
  const out: { [k: string]: Json } = {};
  for (const [k, x] of Object.entries(v)) {
    let y: Json;
    if (typeof x === 'string' && x.length >= longString && blockSafe(x)) {
      y = `mlmeta-block-${nonce()}-${blocks.size}`;
      blocks.set(y, x);
    } else y = setAsideBlocks(x, blocks, nonce, longString);
    Object.defineProperty(out, k, { value: y, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function putBlock(text: string, token: string, str: string): string {
  const at = text.indexOf(` ${token}\n`);
  const lineStart = text.lastIndexOf('\n', at) + 1;
  // the key's column (past any `- ` of a list item), plus js-yaml's indent of 2
  const indent = /^(?: *- )* */.exec(text.slice(lineStart, at))![0].length + 2;
  const pad = ' '.repeat(indent);
  const body = pad + str.slice(0, -1).replaceAll('\n', `\n${pad}`) + '\n';
  return `${text.slice(0, at)} |\n${body}${text.slice(at + token.length + 2)}`;
}

// JsonWriter (src/render/json.ts) must write, byte for byte, what `--json` wrote through
// writeJson and process.stdout.write: printableJson(JSON.stringify(value, null, 2)) as UTF-8.
import { describe, expect, it } from 'vitest';
import { JsonWriter } from '../../src/render/json.js';
import { printableJson } from '../../src/render/safe.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');
/**
 * What the writer wrote (as each chunk was when handed out); `changed` if a chunk changed
 * afterwards. `release`: give each chunk back at once, as a file's synchronous write does.
 */
function written(fn: (w: JsonWriter) => void, release = false): { bytes: Buffer; chunks: number; changed: boolean } {
  const chunks: Uint8Array[] = [];
  const copies: Buffer[] = [];
  const w = new JsonWriter((c, done) => {
    chunks.push(c);
    copies.push(Buffer.from(c));
    if (release) {
      done();
      done(); // a second release must not hand the same memory out twice
    }
  });
  fn(w);
  w.end();
  return { bytes: Buffer.concat(copies), chunks: chunks.length, changed: chunks.some((c, i) => !copies[i]!.equals(c)) };
}
/** Equal bytes (Buffer.equals: vitest's deep equality is slow on megabytes); the text on failure. */
const same = (a: Buffer, b: Buffer, what: string) => expect(a.equals(b) ? '' : a.toString('utf8'), what).toBe(a.equals(b) ? '' : b.toString('utf8'));

/** A small deterministic generator (no Math.random: a failure reproduces). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}
/** Every kind of character the writer treats apart: quotes, escapes, C0, DEL and C1, bidi and separators, 2-, 3- and 4-byte UTF-8, lone surrogates. */
const PIECES = ['a', 'Z', ' ', '"', '\\', '/', '\n', '\t', '\b', '\f', '\r', '\u0000', '\u0001', '\u001b', '\u001f', '\u007f', '\u0085', '\u009f', '\u00a0', '\u00e9', '\u061c', '\u200e', '\u200f', '\u2028', '\u2029', '\u202e', '\u2066', '\u2069', '\u2192', '\ufeff', '\u{1f600}', '\ud800', '\udc00', 'x\ud83d', '{', '}', '[', ']', ',', ':', '{}', '[]'];
const text = (r: () => number) => Array.from({ length: Math.floor(r() * 8) }, () => PIECES[Math.floor(r() * PIECES.length)]).join('');

function value(r: () => number, depth: number): unknown {
  switch (Math.floor(r() * (depth > 3 ? 4 : 6))) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return [0, -1, 1.5, -2e-7, 1e21, 2 ** 53, 10000][Math.floor(r() * 7)];
    case 3: return text(r);
    case 4: return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) o[text(r) + i] = value(r, depth + 1);
      return o;
    }
  }
}

describe('JsonWriter', () => {
  it('quotes a string as JSON.stringify does, unsafe characters escaped, lone surrogates as JSON.stringify escapes them', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const s = text(rng(seed));
      same(written((w) => w.string(s)).bytes, utf8(printableJson(JSON.stringify(s))), `seed ${seed}`);
    }
  });

  it('lays out compact JSON as JSON.stringify(value, null, 2) does, at any indentation', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const r = rng(seed);
      const v = value(r, 0);
      const level = Math.floor(r() * 4);
      const compact = `pre${JSON.stringify(v)}post`;
      const pretty = JSON.stringify(v, null, 2).replace(/\n/g, `\n${'  '.repeat(level)}`);
      same(written((w) => w.laidOut(compact, 3, compact.length - 4, level)).bytes, utf8(printableJson(pretty)), `seed ${seed}`);
    }
  });

  it('writes text as it is but for the unsafe characters, in chunks of ~64 KB, each filled again only once released', () => {
    const s = 'layout \n\t "quoted" \u202e \u{1f600} \ud800 '.repeat(20_000);
    const held = written((w) => w.text(s));
    same(held.bytes, utf8(printableJson(s)), 'text');
    expect(held.bytes.includes(utf8('\\u202e'))).toBe(true);
    expect(held.chunks).toBeGreaterThan(10);
    expect(held.changed).toBe(false); // never released: no chunk's bytes were touched again
    const released = written((w) => w.text(s), true);
    same(released.bytes, held.bytes, 'released');
    expect(released.changed).toBe(true); // released at once: the same memory was filled again
  });
});

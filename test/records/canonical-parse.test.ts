// The fast canonical reader (src/records/canonical-parse.ts) against js-yaml itself: every
// text canonicalYaml writes reads back the same, and any other text either reads the same as
// js-yaml reads it or is handed back (null) for js-yaml to parse or refuse.
import { isDeepStrictEqual } from 'node:util';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { canonicalYaml, MAX_DEPTH, parseRecordYaml, parseYaml, type Json } from '../../src/records/yaml.js';

/** js-yaml exactly as parseYaml calls it; THROWS when it refuses the text. */
const THROWS = Symbol('throws');
function reference(text: string): unknown {
  try {
    return load(text, { maxAliases: 0, maxDepth: MAX_DEPTH });
  } catch {
    return THROWS;
  }
}

/** A small deterministic PRNG (mulberry32): failures replay from the seed in the message. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Words and characters that make YAML choose another style or type.
const WORDS = ['', ' ', 'a', 'yes', 'no', 'on', 'y', 'n', 'null', 'Null', '~', 'true', 'False', '1', '-1', '+1', '0x1F', '0o17', '0b1', '1e5', '1.', '.5', '.inf',
  '-.inf', '.nan', '2024-01-01', '12:30', '1_000', '<<', '---', '...', '- a', '? x', 'a: b', 'a #b', '#c', '&x', '*x', '!t', '|', '>', '%x', '@x', '`x',
  '[x]', '{x}', 'x,y', "it's", '"q"', '\\', 'é', 'café', '日本', '😀', '\u0085', '\u00a0', '\u2028', '\ufeff', '\t', '\r', '\n', '\n\n', ' lead', 'trail ',
  'x'.repeat(40), 'a:b', 'model', 'Ada <ada@example.test>', '3f2a9c0de1', '0123', '00', '-0', '1e400', '\u0000', '\u001b', 'ﬀ', 'K', '\uD800'];
const CHARS = 'ab -:#\'"\n\t\\é😀{}[],&*!|>%@`?.0123456789eExX_+~';

function randomString(r: () => number): string {
  const n = Math.floor(r() * 4);
  let s = '';
  for (let i = 0; i < n; i++) {
    s += r() < 0.5 ? WORDS[Math.floor(r() * WORDS.length)]! : CHARS[Math.floor(r() * CHARS.length)]!;
  }
  return s;
}

function randomNumber(r: () => number): number {
  const k = r();
  if (k < 0.3) return Math.floor(r() * 2000) - 1000;
  if (k < 0.5) return (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
  if (k < 0.6) return [0, 1e21, 1e-7, 12345678901234567890, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, Number.MAX_VALUE, 0.1][Math.floor(r() * 8)]!;
  return Math.round(r() * 1e6) / 1e3;
}

function randomValue(r: () => number, depth: number): Json {
  const k = r();
  if (depth > 4 || k < 0.45) {
    const s = r();
    if (s < 0.55) return randomString(r);
    if (s < 0.85) return randomNumber(r);
    if (s < 0.93) return r() < 0.5;
    return null;
  }
  if (k < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  return randomObject(r, depth + 1);
}

function randomObject(r: () => number, depth: number): { [k: string]: Json } {
  const o: { [k: string]: Json } = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    Object.defineProperty(o, r() < 0.03 ? '__proto__' : randomString(r), { value: randomValue(r, depth), enumerable: true, writable: true, configurable: true });
  }
  return o;
}

/** A record as mlmeta writes them (the shapes a store is full of). */
function randomRecord(r: () => number, i: number): { [k: string]: Json } {
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  return {
    mlmeta: 1, kind: ['model', 'run', 'dataset', 'alias'][i % 4]!, name: `m-${i}`, version: i + 1, created: new Date(1.7e12 + i * 1000).toISOString(),
    author: 'Ada Lovelace <ada@example.test>', parents: [{ role: 'previous', id: hex(64) }, { role: 'data', id: hex(64) }],
    code: { commit: hex(40), branch: 'main', dirty: r() < 0.5, remote: r() < 0.5 ? null : 'https://git.example.test/a/b.git' },
    params: { lr: r() / 100, layers: [64, 32], opt: { name: 'adam', beta: 0.9 }, flag: 'yes', note: randomString(r) },
    metrics: { auc: r(), loss: -r() }, message: r() < 0.5 ? 'fix\n\n  indented detail\nlast' : 'one line',
    command: ['python', 'train.py', '--lr', '0.1'], history: { auc: { points: Array.from({ length: 20 }, (_, s) => `${s} ${r().toFixed(4)} 2026-01-01T00:00:00Z`).join('\n') + '\n' } },
    extra: randomObject(r, 1),
  };
}

describe('parseRecordYaml', () => {
  it('reads what canonicalYaml writes exactly as js-yaml does (random values)', () => {
    let fallbacks = 0;
    const total = 3000;
    for (let seed = 1; seed <= total; seed++) {
      const r = rng(seed);
      const value = seed % 3 === 0 ? randomRecord(r, seed) : randomObject(r, 0);
      let text: string;
      try {
        text = canonicalYaml(value);
      } catch {
        continue; // a value a record cannot hold (a lone surrogate, …)
      }
      const fast = parseRecordYaml(text);
      const ref = reference(text);
      if (fast === null) {
        // only the shapes left to js-yaml on purpose: `? ` keys (multi-line or very long ones),
        // `|2-` headers (text starting with a space), keys that look like document markers
        if (!/^ *(?:- )*(?:\? |.*[:-] \|\d)|^(?:---|\.\.\.) /m.test(text)) expect.fail(`seed ${seed}: fell back on ${JSON.stringify(text)}`);
        fallbacks++;
        continue;
      }
      if (!isDeepStrictEqual(fast, ref)) expect.fail(`seed ${seed}: ${JSON.stringify(text)} read as ${JSON.stringify(fast)}, js-yaml ${JSON.stringify(ref)}`);
    }
    expect(fallbacks).toBeLessThan(total / 2);
  });

  it('reads every record-shaped text (no fallback) and parseYaml gives the same', () => {
    for (let i = 0; i < 300; i++) {
      const r = rng(10_000 + i);
      const { extra: _random, ...record } = randomRecord(r, i); // extra may hold a multi-line key (`? `)
      const text = canonicalYaml(record);
      const fast = parseRecordYaml(text);
      expect(fast, text).not.toBeNull();
      expect(isDeepStrictEqual(fast, reference(text))).toBe(true);
      expect(isDeepStrictEqual(parseYaml(text, 'x'), fast)).toBe(true);
    }
  });

  it('mutated (hostile) texts: the same answer as js-yaml, or null — never a value js-yaml would refuse or read otherwise', () => {
    const pool = [' ', '  ', '\n', '\n\n', '- ', ': ', ':', '#', ' #x', "'", '"', '\\', '|', '|-', '|+', '|2', '>', '[', ']', '{', '}', '[]', '{}', '&a ', '*a', '!!str ', '? ',
      '---\n', '...\n', '\t', '\r', 'x', '1', 'null', '<<: ', '\u0085', '\ufeff', 'é', '0x', '.inf', '~'];
    let same = 0;
    let fellBack = 0;
    for (let seed = 1; seed <= 4000; seed++) {
      const r = rng(seed * 7919);
      let text = canonicalYaml(seed % 2 ? randomRecord(r, seed) : randomObject(r, 0));
      const edits = 1 + Math.floor(r() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(r() * (text.length + 1));
        const k = r();
        if (k < 0.4) text = text.slice(0, at) + pool[Math.floor(r() * pool.length)] + text.slice(at);
        else if (k < 0.6) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 3));
        else if (k < 0.8) {
          const lines = text.split('\n');
          const a = Math.floor(r() * lines.length);
          const b = Math.floor(r() * lines.length);
          [lines[a], lines[b]] = [lines[b]!, lines[a]!];
          text = lines.join('\n');
        } else {
          const lines = text.split('\n');
          const a = Math.floor(r() * lines.length);
          lines[a] = (r() < 0.5 ? ' ' : '') + (r() < 0.5 ? lines[a]!.replace(/^ /, '') : lines[a]!);
          if (r() < 0.3) lines.splice(a, 0, lines[a]!);
          text = lines.join('\n');
        }
      }
      const fast = parseRecordYaml(text);
      if (fast === null) {
        fellBack++;
        continue;
      }
      const ref = reference(text);
      if (!isDeepStrictEqual(fast, ref)) expect.fail(`seed ${seed}: ${JSON.stringify(text)} read as ${JSON.stringify(fast)}, js-yaml ${ref === THROWS ? 'refuses it' : JSON.stringify(ref)}`);
      same++;
    }
    // both outcomes occur: the test exercises accepted mutations as well as refusals
    expect(same).toBeGreaterThan(100);
    expect(fellBack).toBeGreaterThan(100);
  });

  it('hands back what is outside the canonical subset', () => {
    const outside = [
      '', 'a: 1', 'a: 1\r\n', '- a\n', 'b: 1\na: 2\n', 'a: 1\na: 2\n', 'a: 1 # c\n', '# c\na: 1\n', 'a: 1\n\nb: 2\n', 'a: &x 1\nb: *x\n',
      'a: !!str 1\n', 'a: [1, 2]\n', 'a: {b: 1}\n', 'a: >\n  x\n', 'a: |2\n   x\n', 'a: "x\n  y"\n', "a: 'x\n  y'\n", 'a: x\n  y\n', '? a\n: 1\n',
      '---\na: 1\n', 'a: 1\n...\nb: 2\n', 'a:\n- 1\n', 'a:\n', 'a:\tb\n', '\ufeffa: 1\n', 'a: \u0085\n', 'a:\n  b: 1\n   c: 2\n', 'a: |\n  x\n \n  y\n',
      'a: |\n    x\n', '%YAML 1.2\n---\na: 1\n', 'a: b: c\n', 'a: "\\q"\n', '<<: {a: 1}\n',
    ];
    for (const t of outside) expect(parseRecordYaml(t), JSON.stringify(t)).toBeNull();
  });

  it('keeps a __proto__ key as data (as js-yaml does)', () => {
    const v = parseRecordYaml("__proto__:\n  polluted: 1\nb: 2\n");
    expect(v).not.toBeNull();
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v!)).toEqual(['__proto__', 'b']);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
    expect(isDeepStrictEqual(v, reference("__proto__:\n  polluted: 1\nb: 2\n"))).toBe(true);
  });
});

// `--json` output in pieces (src/render/json.ts) must be byte for byte what one
// JSON.stringify(value, null, 2) (with the unsafe characters escaped) was.
import { describe, expect, it } from 'vitest';
import { writeJson } from '../../src/render/json.js';
import { printableJson } from '../../src/render/safe.js';

const whole = (v: unknown) => `${printableJson(JSON.stringify(v, null, 2))}\n`;
function chunked(v: unknown): { text: string; chunks: number } {
  const out: string[] = [];
  writeJson(v, (c) => out.push(c));
  return { text: out.join(''), chunks: out.length };
}

/** A small deterministic generator (no Math.random: a failure reproduces). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}
const STRINGS = ['', 'a', 'line\nbreak', 'tab\t"quote"\\', '\u202e bidi', '\u0085 NEL', 'caf\u00e9 \u2192 \u{1f600}', '\u2028', '__proto__', 'toJSON'];

function value(r: () => number, depth: number): unknown {
  const pick = Math.floor(r() * (depth > 3 ? 8 : 11));
  switch (pick) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return [0, -0, 1.5, -2e-7, 1e21, Number.NaN, Infinity, 2 ** 53][Math.floor(r() * 8)];
    case 3: return STRINGS[Math.floor(r() * STRINGS.length)];
    case 4: return undefined;
    case 5: return () => 1;
    case 6: return new Date(Date.UTC(2026, 10, 27, 5, 0, 0));
    case 7: return Symbol('s');
    case 8: {
      const a: unknown[] = [];
      const n = Math.floor(r() * 5);
      for (let i = 0; i < n; i++) a.push(value(r, depth + 1));
      if (r() < 0.2) a[n + 1] = 1; // a hole
      return a;
    }
    case 9: {
      const o: Record<string, unknown> = r() < 0.2 ? Object.create(null) : {};
      const n = Math.floor(r() * 5);
      for (let i = 0; i < n; i++) o[STRINGS[Math.floor(r() * STRINGS.length)]! + i] = value(r, depth + 1);
      return o;
    }
    default: return { toJSON: (k: string) => ({ key: k, nested: [1, { a: 2 }] }) };
  }
}

describe('writeJson', () => {
  it('writes what JSON.stringify(value, null, 2) wrote, for 3,000 generated values', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const v = value(rng(seed), 0);
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue; // never output
      expect(chunked(v).text, `seed ${seed}`).toBe(whole(v));
    }
  });

  it('a big answer (a lineage-like 20,000 nodes) comes in many chunks, with the same bytes', () => {
    const nodes = Array.from({ length: 20_000 }, (_, i) => ({ id: i.toString(16).padStart(64, '0'), kind: 'model', label: `m@${i} \u202e`, depth: i, facts: { params: { lr: i / 7 } } }));
    const v = { root: nodes[0]!.id, nodes, edges: nodes.slice(1).map((n, i) => ({ from: n.id, to: nodes[i]!.id, role: 'previous' })), empty: [], none: {}, skip: undefined };
    const { text, chunks } = chunked(v);
    expect(text).toBe(whole(v));
    expect(chunks).toBeGreaterThan(50);
    expect(text).toContain('\\u202e'); // the unsafe character escaped in the pieces too
  });
});

// The protocol reader's byte-level shortcut for the Python module's point lines
// (capture/protocol.ts fastPoint) must only ever be a shortcut: every line gives what the
// general path (JSON.parse) gives. A line with one leading space is the same JSON but never
// takes the shortcut, so a folder of lines and a folder of the same lines indented are
// compared here, with hand-picked edge cases and a seeded fuzz.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRunDir } from '../../src/capture/protocol.js';
import { tempDir } from '../helpers/dirs.js';

function readBoth(lines: string[]) {
  const fast = tempDir();
  const slow = tempDir();
  fs.writeFileSync(path.join(fast, 'a.jsonl'), lines.map((l) => `${l}\n`).join(''));
  fs.writeFileSync(path.join(slow, 'a.jsonl'), lines.map((l) => ` ${l}\n`).join(''));
  // JSON.parse's messages name a position, one further on in the indented line
  const unshift = (w: string) => w.replace(/at position (\d+)/, (_, n: string) => `at position ${Number(n) - 1}`);
  const s = readRunDir(slow);
  return { fast: readRunDir(fast), slow: { ...s, warnings: s.warnings.map(unshift) } };
}

/** A small seeded generator (mulberry32): the same cases on every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const point = (name: string, value: string, step: string, time: string) => `{"metric":${name},"value":${value},"step":${step},"time":${time}}`;

describe('the point-line shortcut', () => {
  it('reads edge cases exactly as JSON.parse does', () => {
    const values = ['0', '-0', '0.5', '1.0', '1e-05', '1E5', '1e+16', '-1.25e-300', '1e400', '"nan"', '"inf"', '"-inf"', '01', '1.', '.5', '-', '+1', '1e', '"1"', 'true', 'null', '0x10'];
    const names = ['"loss"', '"val.loss"', '"a..b"', '"λ"', '"lo\\"ss"', '"tab\\there"', '""', `"${'n'.repeat(200)}"`, `"${'n'.repeat(201)}"`, '"__proto__"', '"a.constructor"', '1'];
    const steps = ['0', '7', '007', '00', '0123456789', '999999999999999', '9007199254740991', '9007199254740993', '-1', '1.5', '"3"', 'null'];
    const times = ['0', '01', '000', '1732100000000', '999999999999999', '8640000000000001', '-5', '1e3', 'null'];
    const lines: string[] = [];
    for (const v of values) lines.push(point('"v"', v, '1', '2'));
    for (const n of names) lines.push(point(n, '1.5', '1', '2'));
    for (const s of steps) lines.push(point('"s"', '1.5', s, '2'));
    for (const t of times) lines.push(point('"t"', '1.5', '3', t));
    lines.push(`${point('"cr"', '1', '1', '2')}\r`, `${point('"x"', '1', '1', '2')} `, point('"x"', '1', '1', '2').replace('}', ',"extra":1}'));
    const { fast, slow } = readBoth(lines);
    expect(fast).toEqual(slow);
    // the shortcut did take its lines: the good ones are there, the bad ones warned about
    expect(fast.metrics.v!.value.slice(0, 4)).toEqual([0, -0, 0.5, 1]);
    expect(fast.metrics.v!.value).toContain(Infinity);
    expect(fast.metrics['lo"ss']).toBeDefined();
    expect(fast.warnings.length).toBeGreaterThan(5);
  });

  it('reads a seeded fuzz of point lines exactly as JSON.parse does', () => {
    const r = rng(11);
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const name = JSON.stringify(pick(['loss', 'acc', 'val.loss', 'a"b', 'x\\y', 'é', 'a.b.c', '.bad']) + (r() < 0.1 ? String(Math.floor(r() * 5)) : ''));
      const mag = 10 ** Math.floor(r() * 40 - 20);
      const value = pick([
        () => JSON.stringify((r() - 0.5) * mag),
        () => String(Math.floor(r() * 1000)),
        () => ((r() - 0.5) * mag).toExponential(Math.floor(r() * 10)),
        () => pick(['"nan"', '"inf"', '"-inf"', '1.0', '-0.0', '2.5E-3']),
      ])();
      const step = String(Math.floor(r() * 10 ** Math.floor(r() * 17)));
      const time = String(Math.floor(r() * 10 ** Math.floor(r() * 17)));
      let line = point(name, value, step, time);
      if (r() < 0.05) line = line.slice(0, 1 + Math.floor(r() * (line.length - 1))); // torn (an empty line is no line at all)
      lines.push(line);
    }
    const { fast, slow } = readBoth(lines);
    expect(fast).toEqual(slow);
    expect(Object.keys(fast.metrics).length).toBeGreaterThan(5);
  });
});

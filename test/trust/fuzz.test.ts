// Seeded, bounded fuzzing of every input surface: params/metrics files, refs, --where
// expressions, command lines and object files. Every case must end in success or one clean
// `error[CODE]: …` line with a documented code (never E_INTERNAL, never a stack trace), in
// bounded time, with the store unchanged when the command failed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { sha256Hex } from '../../src/store/objects.js';
import { ok } from '../helpers/cli.js';
import { snapshot, tempDir, write } from '../helpers/dirs.js';
import { runInProcess, type Captured } from '../helpers/inprocess.js';

function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
  };
}

const CODES = new Set(Object.keys(ERROR_CODES).filter((c) => c !== 'E_INTERNAL'));
let cases = 0;

function expectClean(r: Captured, what: string): void {
  cases++;
  expect(r.ms, `${what} took too long`).toBeLessThan(5000);
  if (r.code === 0) return;
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, `${what}: ${r.stderr}`).toHaveLength(1);
  const m = /^error\[([A-Z_]+)\]: \S/.exec(lines[0]!);
  expect(m, `${what}: ${r.stderr}`).not.toBeNull();
  expect(CODES.has(m![1]!), `${what}: ${r.stderr}`).toBe(true);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

function bomb(r: ReturnType<typeof rng>): string {
  const width = 2 + r.int(8);
  const depth = 2 + r.int(8);
  const lines = [`a0: &a0 [${Array(width).fill('"x"').join(',')}]`];
  for (let i = 1; i <= depth; i++) lines.push(`a${i}: &a${i} [${Array(width).fill(`*a${i - 1}`).join(',')}]`);
  return lines.join('\n');
}

function badDocument(r: ReturnType<typeof rng>): string | Buffer {
  switch (r.int(12)) {
    case 0: return r.bytes(1 + r.int(200));
    case 1: { const d = 65 + r.int(5000); return '['.repeat(d) + ']'.repeat(d); }
    case 2: { const d = 65 + r.int(300); return Array.from({ length: d }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1'; }
    case 3: return bomb(r);
    case 4: return `- ${r.int(100)}\n- x\n`;
    case 5: return `lr: 0.1\nlr: 0.2\n`;
    case 6: return `a: !custom ${r.int(10)}\n`;
    case 7: return `a: 1\n---\nb: 2\n`;
    case 8: return `{"lr": 0.1, "x": [1, 2${r.pick(['', ',', '}', ']]'])}`;
    case 9: return Buffer.concat([Buffer.from('lr: 0.'), Buffer.from([0xff, 0xfe, 0x00, r.int(256)])]);
    case 10: return `lr: ${'x'.repeat(r.int(50))}\u0000\n`;
    default: return `a:\n  b: [1, 2\n  c: "${'q'.repeat(r.int(20))}`;
  }
}

describe('fuzz (seeded, bounded)', () => {
  it('1,000+ bad inputs each end in one clean line, and failures leave the store unchanged', async () => {
    const r = rng(20261126);
    const dir = tempDir('mlmeta-fuzz-');
    const store = path.join(dir, '.mlmeta');
    ok(dir, ['init']);
    const base = ['--store', store];
    const d = ok(dir, ['record', 'dataset', '--name', 'd', '--code', 'none', '--env', 'none']);
    ok(dir, ['record', 'model', '--name', 'm', '--data', d, '--metric', 'auc=0.9', '--code', 'none', '--env', 'none']);
    const objects = path.join(store, 'objects');
    const unchanged = async (argv: string[], what: string) => {
      const before = snapshot(objects);
      const res = await runInProcess([...argv, ...base]);
      expectClean(res, what);
      if (res.code !== 0) expect(snapshot(objects), `${what} changed the store`).toEqual(before);
      return res;
    };

    // params and metrics files
    for (let i = 0; i < 300; i++) {
      const f = write(dir, `in/p${i}.${r.pick(['yaml', 'json'])}`, badDocument(r));
      await unchanged(['record', 'model', '--name', 'm', '--params', f, '--code', 'none', '--env', 'none'], `params #${i}`);
    }
    for (let i = 0; i < 150; i++) {
      const value = r.pick(['"high"', 'true', 'null', '[1, 2]', '{a: "x"}', '.nan', "'0.5'"]);
      const doc = r.next() < 0.5 ? `auc: ${value}\n` : badDocument(r);
      const f = write(dir, `in/m${i}.yaml`, doc);
      await unchanged(['record', 'model', '--name', 'm', '--metrics', f, '--code', 'none', '--env', 'none'], `metrics #${i}`);
    }
    // refs
    const alphabet = ['a', 'f', '0', '9', '@', '/', '.', '..', '-', ' ', 'é', '\u0007', '%', '*', '~', 'deadbeef', 'm', 'd', '@1', '@0', '@production', '../', '\\'];
    for (let i = 0; i < 200; i++) {
      const ref = Array.from({ length: 1 + r.int(12) }, () => r.pick(alphabet)).join('');
      await unchanged([r.pick(['show', 'cat', 'lineage', 'diff', 'verify']), ref], `ref ${JSON.stringify(ref)}`);
    }
    // --where expressions
    const tokens = ['metrics.auc', 'params.lr', 'name', '(', ')', 'and', 'or', 'not', '=', '!=', '<', '<=', '>', '>=', '~', '0.5', '"x', "'y'", 'm', '>>', '!', '==', '.', 'a..b'];
    for (let i = 0; i < 200; i++) {
      const expr = Array.from({ length: 1 + r.int(8) }, () => r.pick(tokens)).join(r.pick([' ', '']));
      await unchanged(['find', '--where', expr], `where ${JSON.stringify(expr)}`);
    }
    // command lines
    const words = ['record', 'show', 'log', 'find', 'alias', 'lineage', 'diff', 'verify', 'cat', 'status', 'which', 'init', 'frob',
      '--name', '--kind', '--param', '--metric', '--parent', '--data', '--depth', '--format', '--limit', '--where', '--sort', '--since', '--json',
      'model', 'dataset', 'BAD KIND', 'm', 'd', 'x=1', 'auc=abc', '=', '-1', 'NaN', 'mermaid', 'xml', 'role=', 'data=zzzz', '2020-13-45', '--delete', '--history'];
    for (let i = 0; i < 150; i++) {
      const argv = Array.from({ length: 1 + r.int(6) }, () => r.pick(words));
      if (argv[0] === 'init') argv[0] = 'show';
      const extra = argv[0] === 'record' ? ['--code', 'none', '--env', 'none'] : [];
      await unchanged([...argv, ...extra], `argv ${JSON.stringify(argv)}`);
    }
    // object files planted in the store: named by their hash (so only parsing can reject them) or misnamed
    for (let i = 0; i < 100; i++) {
      const bad = badDocument(r);
      const bytes = Buffer.isBuffer(bad) ? bad : Buffer.from(r.next() < 0.3 ? `mlmeta: 1\nkind: model\n${bad}` : bad);
      const id = r.next() < 0.7 ? sha256Hex(bytes) : sha256Hex(`other ${i}`);
      const file = path.join(objects, id.slice(0, 2), `${id.slice(2)}.yaml`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, bytes);
      const v = await runInProcess(['verify', '--json', ...base]);
      cases++;
      expect(v.code, `verify of planted object #${i}: ${v.stderr}`).toBe(1);
      const finding = JSON.parse(v.stdout).findings.find((f: { id?: string }) => f.id === id);
      expect(['HASH_MISMATCH', 'BAD_YAML', 'BAD_RECORD']).toContain(finding?.finding);
      expectClean(await runInProcess(['show', id, ...base]), `show planted #${i}`);
      expectClean(await runInProcess(['find', '--kind', 'model', ...base]), `find with planted #${i}`);
      fs.rmSync(file);
    }
    console.log(`fuzz: ${cases} cases`);
    expect(cases).toBeGreaterThanOrEqual(1000);
    expect(process.memoryUsage().rss).toBeLessThan(2 * 1024 ** 3);
  }, 300_000);
});

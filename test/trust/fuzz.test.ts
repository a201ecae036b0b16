// Seeded, bounded fuzzing of every input surface: params/metrics files, refs, --where
// expressions, command lines and object files. Each case is either one that must be
// refused — non-zero exit, exactly one `error[CODE]: …` line with a documented code (never
// E_INTERNAL), no stack trace, the store byte-for-byte unchanged — or one that may succeed,
// and then whatever it wrote must verify clean (when it fails, the refusal rules apply).
// Every case ends in bounded time.
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

/** A refusal: non-zero exit, one documented `error[CODE]` line, no stack trace. */
function expectRefusal(r: Captured, what: string): void {
  expect(r.code, `${what} must be refused: ${r.stdout.slice(0, 200)}`).not.toBe(0);
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

/** A params/metrics document; `refuse` when no reading of it is acceptable (all but random bytes). */
function badDocument(r: ReturnType<typeof rng>): { doc: string | Buffer; refuse: boolean } {
  const refuse = (doc: string | Buffer) => ({ doc, refuse: true });
  switch (r.int(12)) {
    case 0: return { doc: r.bytes(1 + r.int(200)), refuse: false };
    case 1: { const d = 65 + r.int(5000); return refuse('['.repeat(d) + ']'.repeat(d)); }
    case 2: { const d = 65 + r.int(300); return refuse(Array.from({ length: d }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1'); }
    case 3: return refuse(bomb(r));
    case 4: return refuse(`- ${r.int(100)}\n- x\n`);
    case 5: return refuse(`lr: 0.1\nlr: 0.2\n`);
    case 6: return refuse(`a: !custom ${r.int(10)}\n`);
    case 7: return refuse(`a: 1\n---\nb: 2\n`);
    case 8: return refuse(`{"lr": 0.1, "x": [1, 2${r.pick(['', ',', '}', ']]'])}`);
    case 9: return refuse(Buffer.concat([Buffer.from('lr: 0.'), Buffer.from([0xff, 0xfe, 0x00, r.int(256)])]));
    case 10: return refuse(`lr: ${'x'.repeat(r.int(50))}\u0000\n`);
    default: return refuse(`a:\n  b: [1, 2\n  c: "${'q'.repeat(r.int(20))}`);
  }
}

describe('fuzz (seeded, bounded)', () => {
  it('1,000+ inputs: each must-refuse case is refused cleanly with the store unchanged; each may-succeed case leaves a valid store', async () => {
    const r = rng(20261126);
    const dir = tempDir('mlmeta-fuzz-');
    const store = path.join(dir, '.mlmeta');
    ok(dir, ['init']);
    const base = ['--store', store];
    const d = ok(dir, ['record', 'dataset', '--name', 'd', '--code', 'none', '--env', 'none']);
    ok(dir, ['record', 'model', '--name', 'm', '--data', d, '--metric', 'auc=0.9', '--code', 'none', '--env', 'none']);
    const objects = path.join(store, 'objects');
    const counts = { refused: 0, succeeded: 0 };
    /**
     * Run one case. 'refuse': a clean refusal and an unchanged store. 'read-only' and
     * 'may-write' may also fail (then as a refusal); on success a read-only command must
     * have left the store as it was, and a writing one must leave a store that verifies.
     */
    type Expect = 'refuse' | 'read-only' | 'may-write';
    const check = async (argv: string[], what: string, expectation: Expect): Promise<Captured> => {
      cases++;
      const before = snapshot(objects);
      const res = await runInProcess([...argv, ...base]);
      expect(res.ms, `${what} took too long`).toBeLessThan(5000);
      if (expectation === 'refuse' || res.code !== 0) {
        expectRefusal(res, what);
        expect(snapshot(objects), `${what} changed the store`).toEqual(before);
        counts.refused++;
        return res;
      }
      expect(res.stderr, `${what}: ${res.stderr}`).not.toMatch(/error\[|\n\s+at /);
      if (expectation === 'read-only') {
        expect(snapshot(objects), `${what} (read-only) changed the store`).toEqual(before);
      } else {
        const v = await runInProcess(['verify', '--json', ...base]);
        expect(v.code, `${what} left a store that does not verify: ${v.stdout}`).toBe(0);
        expect(JSON.parse(v.stdout).errors, `${what} left a store that does not verify: ${v.stdout}`).toBe(0);
      }
      counts.succeeded++;
      return res;
    };

    // params and metrics files
    for (let i = 0; i < 300; i++) {
      const { doc, refuse } = badDocument(r);
      const f = write(dir, `in/p${i}.${r.pick(['yaml', 'json'])}`, doc);
      await check(['record', 'model', '--name', 'm', '--params', f, '--code', 'none', '--env', 'none'], `params #${i}`, refuse ? 'refuse' : 'may-write');
    }
    for (let i = 0; i < 150; i++) {
      // None of these values is a number: every one must be refused.
      const value = r.pick(['"high"', 'true', 'null', '[1, 2]', '{a: "x"}', '.nan', "'0.5'"]);
      const bad = r.next() < 0.5 ? { doc: `auc: ${value}\n`, refuse: true } : badDocument(r);
      const f = write(dir, `in/m${i}.yaml`, bad.doc);
      await check(['record', 'model', '--name', 'm', '--metrics', f, '--code', 'none', '--env', 'none'], `metrics #${i}`, bad.refuse ? 'refuse' : 'may-write');
    }
    // refs: read-only commands, which may find something (`m`, `d@1`) or refuse
    const alphabet = ['a', 'f', '0', '9', '@', '/', '.', '..', '-', ' ', 'é', '\u0007', '%', '*', '~', 'deadbeef', 'm', 'd', '@1', '@0', '@production', '../', '\\'];
    for (let i = 0; i < 200; i++) {
      const ref = Array.from({ length: 1 + r.int(12) }, () => r.pick(alphabet)).join('');
      // A ref with a control character, '..' or a space in it can never name anything.
      const impossible = /[\u0007 ]|\.\.|^[-/]|@0$|@$/.test(ref);
      await check([r.pick(['show', 'cat', 'lineage', 'diff', 'verify']), ref], `ref ${JSON.stringify(ref)}`, impossible ? 'refuse' : 'read-only');
    }
    // --where expressions (read-only)
    const tokens = ['metrics.auc', 'params.lr', 'name', '(', ')', 'and', 'or', 'not', '=', '!=', '<', '<=', '>', '>=', '~', '0.5', '"x', "'y'", 'm', '>>', '!', '==', '.', 'a..b'];
    for (let i = 0; i < 200; i++) {
      const expr = Array.from({ length: 1 + r.int(8) }, () => r.pick(tokens)).join(r.pick([' ', '']));
      await check(['find', '--where', expr], `where ${JSON.stringify(expr)}`, 'read-only');
    }
    // nesting beyond any parser's stack must be a usage error, not a crash
    for (let i = 0; i < 20; i++) {
      const depth = 65 + r.int(20_000);
      const expr = r.next() < 0.5 ? '('.repeat(depth) : `${'not '.repeat(depth)}metrics.auc > 0`;
      const res = await check(['find', '--where', expr], `where nested ${depth} deep`, 'refuse');
      expect(res.stderr).toMatch(/^error\[E_USAGE\]: bad --where expression at position \d+: nested more than 64 levels/);
    }
    // command lines
    const words = ['record', 'show', 'log', 'find', 'alias', 'lineage', 'diff', 'verify', 'cat', 'status', 'which', 'init', 'frob',
      '--name', '--kind', '--param', '--metric', '--parent', '--data', '--depth', '--format', '--limit', '--where', '--sort', '--since', '--json',
      'model', 'dataset', 'BAD KIND', 'm', 'd', 'x=1', 'auc=abc', '=', '-1', 'NaN', 'mermaid', 'xml', 'role=', 'data=zzzz', '2020-13-45', '--delete', '--history'];
    for (let i = 0; i < 150; i++) {
      const argv = Array.from({ length: 1 + r.int(6) }, () => r.pick(words));
      if (argv[0] === 'init') argv[0] = 'show';
      const extra = argv[0] === 'record' ? ['--code', 'none', '--env', 'none'] : [];
      // An unknown command, or a value no flag can take, must be refused.
      // So must a count flag without digits after it, or a --format no renderer has.
      const badValue = (flag: string, ok: (v: string | undefined) => boolean) => argv.some((w, k) => w === flag && !ok(argv[k + 1]));
      const refuse = argv[0] === 'frob' || argv.includes('BAD KIND') || argv.includes('2020-13-45') || argv.includes('auc=abc') ||
        badValue('--depth', (v) => v !== undefined && /^\d+$/.test(v)) || badValue('--limit', (v) => v !== undefined && /^\d+$/.test(v)) ||
        badValue('--format', (v) => v === 'mermaid');
      await check([...argv, ...extra], `argv ${JSON.stringify(argv)}`, refuse ? 'refuse' : 'may-write');
    }
    // object files planted in the store: named by their hash (so only parsing can reject them) or misnamed
    for (let i = 0; i < 100; i++) {
      const { doc: bad } = badDocument(r);
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
      await check(['show', id], `show planted #${i}`, 'refuse');
      await check(['find', '--kind', 'model'], `find with planted #${i}`, 'read-only');
      fs.rmSync(file);
    }
    console.log(`fuzz: ${cases} cases (${counts.refused} refused, ${counts.succeeded} succeeded)`);
    expect(cases).toBeGreaterThanOrEqual(1000);
    // Both kinds of case happened, so both branches of the check ran.
    expect(counts.refused).toBeGreaterThan(500);
    expect(counts.succeeded).toBeGreaterThan(50);
    expect(process.memoryUsage().rss).toBeLessThan(2 * 1024 ** 3);
  }, 300_000);
});

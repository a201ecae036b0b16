import { describe, expect, it } from 'vitest';
import { canonicalYaml, normalise, parseYaml } from '../../src/records/yaml.js';
import { sha256Hex } from '../../src/store/objects.js';

const sample = {
  mlmeta: 1,
  kind: 'model',
  name: 'churn-model',
  version: 2,
  created: '2026-01-02T03:04:05.000Z',
  author: 'Ada <ada@example.test>',
  parents: [{ role: 'previous', id: 'a'.repeat(64) }, { role: 'data', id: 'b'.repeat(64) }],
  code: { commit: 'c'.repeat(40), branch: 'main', dirty: false, remote: null },
  params: { lr: 0.1, layers: [64, 32], opt: { name: 'adam', beta: 0.9 }, flag: 'yes', date: '2024-01-01' },
  metrics: { auc: 0.91, loss: -0 },
  message: 'multi\nline',
};

describe('canonical YAML', () => {
  it('is stable: golden bytes and id', () => {
    const text = canonicalYaml(sample);
    expect(text).toBe(
      [
        "author: Ada <ada@example.test>",
        'code:',
        '  branch: main',
        '  commit: cccccccccccccccccccccccccccccccccccccccc',
        '  dirty: false',
        '  remote: null',
        "created: '2026-01-02T03:04:05.000Z'",
        'kind: model',
        'message: |-',
        '  multi',
        '  line',
        'metrics:',
        '  auc: 0.91',
        '  loss: 0',
        'mlmeta: 1',
        'name: churn-model',
        'params:',
        "  date: '2024-01-01'",
        "  flag: 'yes'",
        '  layers:',
        '    - 64',
        '    - 32',
        '  lr: 0.1',
        '  opt:',
        '    beta: 0.9',
        '    name: adam',
        'parents:',
        '  - id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        '    role: previous',
        '  - id: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
        '    role: data',
        'version: 2',
        '',
      ].join('\n'),
    );
    expect(sha256Hex(text)).toBe('1ee05b47901d969def2be02530ecc3d82955efb27ffcbecd28ea28b8ad16407b');
  });

  it('gives equal bytes for equal content in any key order', () => {
    const shuffled = Object.fromEntries(Object.entries(sample).reverse());
    expect(canonicalYaml(shuffled)).toBe(canonicalYaml(sample));
    expect(parseYaml(canonicalYaml(sample), 't')).toEqual(normalise(sample));
  });

  it('does not fold long strings or emit anchors for shared objects', () => {
    const shared = { a: 1 };
    const long = 'word '.repeat(100).trim();
    const text = canonicalYaml({ x: shared, y: shared, long });
    expect(text).not.toMatch(/[&*]/);
    expect(text).toContain(`long: ${long}\n`);
  });

  it('refuses values a record cannot hold exactly', () => {
    expect(() => canonicalYaml({ x: Number.NaN })).toThrow(/finite/);
    expect(() => canonicalYaml({ x: Infinity })).toThrow(/finite/);
    expect(() => canonicalYaml({ x: 10n })).toThrow(/bigint/);
    expect(() => canonicalYaml({ x: new Date() })).toThrow(/plain data/);
  });
});

describe('guarded YAML reader', () => {
  it('refuses an alias bomb fast, without expanding it', () => {
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 0; i < 8; i++) {
      const c = String.fromCharCode(98 + i);
      const p = String.fromCharCode(97 + i);
      bomb.push(`${c}: &${c} [*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p}]`);
    }
    const t = Date.now();
    expect(() => parseYaml(bomb.join('\n'), 'params file')).toThrow(/maxAliases|alias/i);
    expect(Date.now() - t).toBeLessThan(1000);
  });

  it('refuses 5,000-deep nesting', () => {
    expect(() => parseYaml('['.repeat(5000) + ']'.repeat(5000), 'params file')).toThrow(/E_BAD_YAML|depth|nest/i);
    expect(() => parseYaml('a:\n' + Array.from({ length: 200 }, (_, i) => ' '.repeat(i + 1) + 'b:').join('\n'), 'f')).toThrow();
  });

  it('refuses custom tags, several documents and duplicate keys', () => {
    expect(() => parseYaml('a: !!js/function "x"\n', 'f')).toThrow(/not acceptable YAML/);
    expect(() => parseYaml('a: !custom 1\n', 'f')).toThrow(/not acceptable YAML/);
    expect(() => parseYaml('a: 1\n---\nb: 2\n', 'f')).toThrow(/not acceptable YAML/);
    expect(() => parseYaml('a: 1\na: 2\n', 'f')).toThrow(/duplicated/);
  });

  it('reads YAML 1.2 core types: dates and yes stay strings', () => {
    expect(parseYaml('d: 2024-01-01\ny: yes\nn: 1e3\n', 'f')).toEqual({ d: '2024-01-01', y: 'yes', n: 1000 });
  });
});

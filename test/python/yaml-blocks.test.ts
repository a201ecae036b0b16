// The canonical writer's fast path for long curves (records/yaml.ts) writes exactly the bytes
// js-yaml writes: pinned here against js-yaml itself on strings short enough for it.
import { describe, expect, it } from 'vitest';
import { canonicalYaml, parseYaml } from '../../src/records/yaml.js';
import { buildHistory } from '../../src/records/history.js';

const points = (n: number) => Array.from({ length: n }, (_, i) => `${i} ${(i * 0.37) % 1} 17321000${i}`).join('\n') + '\n';

describe('long literal blocks', () => {
  const values: unknown[] = [
    { points: points(300) },
    { mlmeta: 1, kind: 'series', metric: 'loss', count: 300, points: points(300) },
    { history: { loss: { count: 300, points: points(300) }, 'a-b': { points: 'x y\n' } } },
    { list: [{ points: points(50), z: 1 }, { a: { points: points(40) } }] },
    { '-key': points(20), n: 'nan -inf inf\n1 2 3\n' },
  ];
  it('writes what js-yaml writes (fast path forced on every string vs js-yaml alone)', () => {
    for (const v of values) {
      const fast = canonicalYaml(v, 1);
      expect(fast).toBe(canonicalYaml(v, Infinity));
      expect(parseYaml(fast, 't')).toEqual(v);
    }
  });
  it('leaves strings js-yaml would not write as a plain block to js-yaml', () => {
    for (const s of ['a  b\n', ' lead\n', 'trail \n', 'x\n\ny\n', 'no newline', 'tab\there\n', 'ünï\n', '- x\n# y\n']) {
      expect(canonicalYaml({ s }, 1)).toBe(canonicalYaml({ s }, Infinity));
    }
  });
  it('writes and reads a 10^5-point series object (js-yaml alone overflowed the stack)', () => {
    const pts = Array.from({ length: 100_000 }, (_, i) => ({ step: i, value: 1 / (i + 1), time: 1732100000000 + i }));
    const t = Date.now();
    const { objects } = buildHistory({ loss: pts });
    const text = objects[0]!.bytes.toString('utf8');
    expect(canonicalYaml(parseYaml(text, 't'))).toBe(text);
    expect(Date.now() - t).toBeLessThan(10_000);
  });
});

import { describe, expect, it } from 'vitest';
import { buildHistory, decodePoints, encodePoints, INLINE_POINTS, pointsOf, seriesObject, summarise, type MetricPoint } from '../../src/records/history.js';
import { parseRecordBytes } from '../../src/records/record.js';
import { canonicalYaml, parseYaml } from '../../src/records/yaml.js';

const curve = (n: number, t0 = 1_732_100_000_000): MetricPoint[] => Array.from({ length: n }, (_, i) => ({ step: i, value: 1 / (i + 1), time: t0 + i * 1000 }));

describe('metric history', () => {
  it('round-trips points through text, ordered by step, with nan/inf kept', () => {
    const pts: MetricPoint[] = [{ step: 2, value: Infinity }, { step: 0, value: 0.5, time: 10 }, { step: 1, value: NaN, time: 11 }, { step: 3, value: -Infinity, time: 12 }];
    const text = encodePoints(pts);
    expect(text).toBe('0 0.5 10\n1 nan 11\n2 inf -\n3 -inf 12\n');
    const back = decodePoints(text);
    expect(back.map((p) => p.step)).toEqual([0, 1, 2, 3]);
    expect(Number.isNaN(back[1]!.value)).toBe(true);
    expect(back[2]).toEqual({ step: 2, value: Infinity });
  });

  it('summarises finite values only; last is the highest step', () => {
    expect(summarise([{ step: 5, value: 0.1 }, { step: 1, value: 0.9 }, { step: 3, value: NaN }])).toEqual({ count: 3, min: 0.1, max: 0.9, last: 0.1, first_step: 1, last_step: 5 });
    const diverged = summarise([{ step: 0, value: 1 }, { step: 1, value: NaN }]);
    expect(diverged.last).toBeUndefined();
    expect(diverged.max).toBe(1);
  });

  it('keeps small curves inline and moves large ones to a content-addressed series object', () => {
    const { history, objects } = buildHistory({ loss: curve(INLINE_POINTS), acc: curve(INLINE_POINTS + 1) });
    expect(Object.keys(history)).toEqual(['acc', 'loss']);
    expect(history.loss!.points).toBeDefined();
    expect(history.loss!.series).toBeUndefined();
    expect(objects).toHaveLength(1);
    expect(history.acc!.series).toBe(objects[0]!.id);
    // the series object is a valid record, and the same points give the same bytes
    const rec = parseRecordBytes(objects[0]!.bytes, objects[0]!.id);
    expect(rec.kind).toBe('series');
    expect(seriesObject('acc', [...curve(INLINE_POINTS + 1)].reverse()).id).toBe(objects[0]!.id);
    const read = (id: string) => parseRecordBytes(objects.find((o) => o.id === id)!.bytes, id) as { points?: unknown };
    expect(pointsOf(history.acc!, 'acc', read)).toEqual(curve(INLINE_POINTS + 1));
    // inline points survive the record's YAML round trip
    const yamlBack = parseYaml(canonicalYaml({ history }), 'x') as { history: typeof history };
    expect(pointsOf(yamlBack.history.loss!, 'loss', read)).toEqual(curve(INLINE_POINTS));
  });

  it('writes each number as String() does (whole numbers are written digit by digit)', () => {
    const values = [0, -0, 1, -1, 9, 10, 99, 100, 12345, -987654321, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1e21, -1e21, 0.1, -2.5, 1e-7, 5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity];
    const points: MetricPoint[] = [];
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const value = i < values.length ? values[i]! : rnd() < 0.5 ? Math.round((rnd() - 0.5) * 10 ** Math.floor(rnd() * 17)) : (rnd() - 0.5) * 10 ** (Math.floor(rnd() * 40) - 20);
      const time = i % 7 === 0 ? undefined : i % 5 === 0 ? -(rnd() * 8e15) : rnd() * 2e12;
      points.push(time === undefined ? { step: i * 1009, value } : { step: i * 1009, value, time });
    }
    points.push({ step: 2 ** 53 - 1, value: 1, time: -0.4 });
    const fmt = (v: number) => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v));
    const expected = points.map((p) => `${p.step} ${fmt(p.value)} ${p.time === undefined ? '-' : String(Math.round(p.time))}\n`).join('');
    expect(encodePoints(points)).toBe(expected);
    expect(decodePoints(expected).map((p) => p.step)).toEqual(points.map((p) => p.step));
  });

  it('writes a series object as exactly the canonical YAML of its fields', () => {
    // seriesObject writes the bytes directly; canonicalYaml is the definition
    const odd: MetricPoint[] = [{ step: 3, value: NaN }, { step: 0, value: -Infinity, time: 5 }, { step: 1, value: 1e-7, time: 0 }, { step: 1, value: -2.5e21 }];
    for (const [metric, points] of [
      ['loss', curve(INLINE_POINTS + 1)],
      ['yes', [...curve(3000)].reverse()],
      ['a: b', odd],
      ['λ "quoted" #x', curve(10)],
    ] as Array<[string, MetricPoint[]]>) {
      const o = seriesObject(metric, points);
      const expected = canonicalYaml({ mlmeta: 1, kind: 'series', metric, count: points.length, points: encodePoints(points) });
      expect(o.bytes.toString('utf8')).toBe(expected);
    }
  });

  it('refuses bad points with E_BAD_INPUT and bad stored text with E_CORRUPT_OBJECT', () => {
    expect(() => buildHistory({ loss: [{ step: -1, value: 1 }] })).toThrow(/step -1/);
    expect(() => buildHistory({ loss: [{ step: 0.5, value: 1 }] })).toThrow(/whole number/);
    expect(() => buildHistory({ loss: [{ step: 0, value: '1' as unknown as number }] })).toThrow(/not a number/);
    expect(() => decodePoints('0 abc 1\n')).toThrow(expect.objectContaining({ code: 'E_CORRUPT_OBJECT' }));
    expect(() => decodePoints('0 1 2 3\n')).toThrow(expect.objectContaining({ code: 'E_CORRUPT_OBJECT' }));
  });
});

describe('stored points are read strictly', () => {
  it('refuses a point with a part missing or in another form', () => {
    for (const bad of ['0\n', '0 \n', '0 1\n', '0x1 1 -\n', '0 0x10 -\n', '0 1 1.5\n', ' 0 1 -\n', '0 Infinity -\n']) {
      expect(() => decodePoints(bad), bad).toThrow(expect.objectContaining({ code: 'E_CORRUPT_OBJECT' }));
    }
    expect(decodePoints('0 1e-7 -\n1 1.5e+300 5\n2 -0.1 -\n')).toEqual([{ step: 0, value: 1e-7 }, { step: 1, value: 1.5e300, time: 5 }, { step: 2, value: -0.1 }]);
  });
});

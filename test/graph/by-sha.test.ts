// A manifest's hash rows are inserted in sha256 order (index-db.ts bySha): sorted as numbers
// on their first 8 hex digits, then by whole text where those tie — the same order, ties and
// all, as a stable sort of the text.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bySha } from '../../src/graph/index-db.js';

type Row = [string, number];
const textOrder = (rows: Row[]) => [...rows].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

describe('bySha', () => {
  it('orders as a stable text sort: shared 8-digit prefixes, equal hashes, hashes that are not hex', () => {
    const hex: Row[] = [];
    for (let i = 0; i < 20_000; i++) hex.push([randomBytes(32).toString('hex'), i]);
    // the same first 8 digits, different after; equal hashes in several places
    for (let i = 0; i < 300; i++) hex.push([`0badcafe${randomBytes(28).toString('hex')}`, 20_000 + i]);
    for (let i = 0; i < 300; i++) hex.splice(i * 60, 0, [hex[i * 7]![0], 30_000 + i]);
    hex.push(['0badcafe', 40_000], ['0badcafe' + 'f'.repeat(56), 40_001]);
    const got = bySha(hex);
    expect(got).toEqual(textOrder(hex));
    expect(got.filter((r) => r[0] === hex[7]![0]).map((r) => r[1])).toEqual(hex.filter((r) => r[0] === hex[7]![0]).map((r) => r[1]));
    // 200,000 rows sharing their first 8 digits: one run, sorted whole
    const run: Row[] = Array.from({ length: 200_000 }, (_, i) => [`ffffffff${(i * 7919 % 200_000).toString(16)}`, i]);
    expect(bySha(run)).toEqual(textOrder(run));
    // any row not starting with 8 lower-case hex digits: the text sort
    for (const odd of ['ABCDEF0123', 'abc', 'zz', '']) {
      const mixed: Row[] = [...hex.slice(0, 500), [odd, -1], ...hex.slice(500, 1000)];
      expect(bySha(mixed)).toEqual(textOrder(mixed));
    }
  });
});

// `lineage --json` writes its nodes from the index's view text (render/lineage.ts
// writeLineageJson), not from lineageOf's objects: the two must print the same bytes for
// every shape, hostile text, duplicate and missing parents and aliases included.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mlmeta } from '../helpers/cli.js';
import { gitRepo } from '../helpers/dirs.js';
import { printableJson } from '../../src/render/safe.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const author = 'T <t@example.test>';

describe('lineage --json', () => {
  it('prints what JSON.stringify(store.lineage(…), null, 2) printed, for each direction, depth and kind', async () => {
    const { initStore } = (await import(path.join(ROOT, 'dist/index.js'))) as typeof import('../../src/index.js');
    const dir = gitRepo();
    const { store } = initStore({ cwd: dir });
    const rec = (input: Parameters<typeof store.createRecord>[0]) => store.createRecord({ code: 'none', env: 'none', author, ...input }).id;
    const data = rec({ kind: 'dataset', name: 'dä"ta\\x →', metrics: { 'a\u202eb\u0085': 1 }, extra: { status: 'x\u001b\u{1f600}\u2028' } });
    const missing = 'f'.repeat(64);
    const m1 = rec({ kind: 'model', name: 'm', parentIds: [{ role: 'data', id: data }, { role: 'data', id: data }, { role: 'weird-role', id: data }, { role: 'data', id: missing }] });
    const m2 = rec({ kind: 'model', name: 'm', metrics: { auc: 0.5 } });
    store.setAlias({ alias: 'prod', ref: m2 });
    const evalId = rec({ kind: 'eval', parentIds: [{ role: 'model', id: m2 }, { role: 'data', id: data }] });
    expect(m1).not.toBe(m2);
    const shapes: Array<[string, string[], object]> = [
      [evalId, [], {}],
      [data, ['--down'], { direction: 'down' }],
      [m1, ['--both', '--depth', '2'], { direction: 'both', depth: 2 }],
      [data, ['--down', '--kind', 'model'], { direction: 'down', kind: 'model' }],
    ];
    const printed = shapes.map(([ref, args, opts]) => {
      const r = mlmeta(dir, ['lineage', ref, '--json', ...args]);
      expect(r.stdout, args.join(' ')).toBe(`${printableJson(JSON.stringify(store.lineage(ref, opts), null, 2))}\n`);
      return r.stdout;
    });
    // the hostile text and the missing parent reached the output
    const [up, down] = printed as [string, string];
    expect(up).toContain(`"id": "${missing}",\n      "kind": "missing"`);
    expect(down).toContain('a\\u202eb\\u0085');
    expect(down).toContain('"role": "weird-role"');
  });
});

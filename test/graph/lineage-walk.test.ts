// The lineage walk (src/graph/lineage.ts) against answers worked out here from the records
// themselves, not from the walk: which parent edges repeat, in which order a distance's nodes
// come, and how a commit's label is cut. `lineage --json` and store.lineage() both come from the
// walk's plan, so test/graph/lineage-json.test.ts (the two agree) cannot see these.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mlmeta } from '../helpers/cli.js';
import { gitRepo } from '../helpers/dirs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
type Lib = typeof import('../../src/index.js');
type Parent = { role: string; id: string };

/** A store with records written as objects directly (as a collaborator's commit would bring them). */
async function craft() {
  const lib = (await import(path.join(ROOT, 'dist/index.js'))) as Lib;
  const dir = gitRepo();
  const { store } = lib.initStore({ cwd: dir });
  let count = 0;
  const put = (rec: Record<string, unknown>): string => {
    const bytes = lib.canonicalYaml({ mlmeta: 1, author: 'T <t@example.test>', created: new Date(Date.UTC(2026, 0, 1) + count++ * 1000).toISOString(), ...rec });
    const id = lib.sha256Hex(bytes);
    fs.mkdirSync(path.join(dir, '.mlmeta', 'objects', id.slice(0, 2)), { recursive: true });
    fs.writeFileSync(path.join(dir, '.mlmeta', 'objects', id.slice(0, 2), `${id.slice(2)}.yaml`), bytes);
    return id;
  };
  return { dir, store, put };
}

/** Parents as lineage shows them: one edge per (parent, role), in position order. */
const distinct = (parents: Parent[]) => parents.filter((p, i) => parents.findIndex((q) => q.id === p.id && q.role === p.role) === i);

describe('lineage walk', () => {
  it('shows a parent named again in the same role once, in another role again, in position order, for short and long parent lists, up and down', async () => {
    const { dir, store, put } = await craft();
    const d1 = put({ kind: 'dataset', name: 'd', version: 1 });
    const d2 = put({ kind: 'dataset', name: 'd', version: 2 });
    const gone = 'e'.repeat(64); // not in the store
    const pattern = [['data', d1], ['data', d2], ['data', d1], ['aux', d1], ['data', gone], ['data', gone], ['aux', gone]] as const;
    const short: Parent[] = pattern.map(([role, id]) => ({ role, id }));
    // over 16 links: the walk checks repeats in a set past that
    const long: Parent[] = Array.from({ length: 24 }, (_, i) => ({ role: pattern[i % 7]![0], id: pattern[(i * 3) % 7]![1] }));
    const models = [put({ kind: 'model', name: 's', version: 1, parents: short }), put({ kind: 'model', name: 'l', version: 1, parents: long })];
    for (const [model, parents] of [[models[0]!, short], [models[1]!, long]] as const) {
      const l = store.lineage(model, { depth: 1 });
      expect(l.edges).toEqual(distinct(parents).map((p) => ({ from: p.id, to: model, role: p.role })));
      expect(l.nodes.find((n) => n.id === gone)).toEqual({ id: gone, kind: 'missing', label: `missing ${gone.slice(0, 12)}`, depth: -1, facts: {} });
    }
    // a dataset's children in id order, each child's links to it in position order
    const down = store.lineage(d1, { direction: 'down', depth: 1 });
    const byId = new Map([[models[0]!, short], [models[1]!, long]]);
    expect(down.edges).toEqual([...byId.keys()].sort().flatMap((child) => distinct(byId.get(child)!).filter((p) => p.id === d1).map((p) => ({ from: d1, to: child, role: p.role }))));
    // the unbounded walk (one recursive query) answers as the per-level one does
    expect(store.lineage(d1, { direction: 'down' })).toEqual({ ...down });
    expect(JSON.parse(mlmeta(dir, ['lineage', models[1]!, '--json']).stdout)).toEqual(store.lineage(models[1]!));
  });

  it('orders the nodes at one distance by label as localeCompare does, then by id; cuts a commit label as String#slice does', async () => {
    const { dir, store, put } = await craft();
    const data = put({ kind: 'dataset', name: 'src', version: 1 });
    const names = ['b', 'B', 'a-1', 'a_1', 'a 1', 'A', 'ä', 'z', 'Z', 'fan-1', 'fan-10', 'fan-1x', 'fan.1', 'Émile', 'emile', 'x+1', 'x#1', 'x,1', '日本', 'ß', 'ss'];
    const children = names.flatMap((name, i) => [put({ kind: 'model', name, version: 1, parents: [{ role: 'data', id: data }] }), ...(i % 4 ? [] : [put({ kind: 'model', name, version: 1, metrics: { auc: i }, parents: [{ role: 'data', id: data }] })])]);
    // a commit whose tenth character is half of a surrogate pair, and one with a quote
    const odd = ['abcdefghi\u{1f600}xyz', 'we"ird\\commit'];
    const m = put({ kind: 'model', name: 'c', version: 1, code: { commit: odd[0] }, parents: [{ role: 'base', id: put({ kind: 'model', name: 'c0', version: 1, code: { commit: odd[1] } }) }] });
    const l = store.lineage(data, { direction: 'down' });
    const expected = children.map((id) => ({ id, label: store.lineage(id, { depth: 0 }).nodes[0]!.label })).sort((a, b) => a.label.localeCompare(b.label) || a.id.localeCompare(b.id));
    expect(l.nodes.slice(1).map((n) => n.id)).toEqual(expected.map((n) => n.id));
    const up = store.lineage(m);
    for (const c of odd) expect(up.nodes.find((n) => n.id === `commit:${c}`)).toMatchObject({ kind: 'commit', label: `commit ${c.slice(0, 10)}` });
    const printed = mlmeta(dir, ['lineage', m, '--json']).stdout;
    expect(printed).toContain(`"label": ${JSON.stringify(`commit ${odd[0]!.slice(0, 10)}`)}`); // the lone half escaped, as JSON.stringify does
    expect(JSON.parse(printed)).toEqual(up);
  });
});

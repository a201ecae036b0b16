// Answering questions about the DAG: lineage, impact, diff, find, aliases, and the index.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { git, gitRepo, tempDir, write } from '../helpers/dirs.js';
import { fixture } from '../helpers/fixtures.js';

describe('lineage on a diamond DAG', () => {
  it('shows a shared ancestor once, in text, JSON, DOT and Mermaid', () => {
    const { dir, ids } = fixture('diamond');
    const json = JSON.parse(ok(dir, ['lineage', 'm@1', '--json']));
    expect(json.root).toBe(ids.m1);
    expect(json.nodes.map((n: { id: string }) => n.id).sort()).toEqual([ids.m1, ids.a, ids.b, ids.raw].sort());
    expect(json.edges).toEqual(expect.arrayContaining([
      { from: ids.a, to: ids.m1, role: 'data' },
      { from: ids.raw, to: ids.a, role: 'input' },
      { from: ids.raw, to: ids.b, role: 'input' },
    ]));
    const text = ok(dir, ['lineage', 'm@1']);
    expect(text.match(/dataset raw@1/g)).toHaveLength(2); // once, then "(see above)"
    expect(text).toMatch(/dataset raw@1 .*\(see above\)/);
    const dot = ok(dir, ['lineage', 'm@1', '--format', 'dot']);
    expect(dot).toMatch(/^digraph lineage \{/);
    expect(dot).toContain(`"${ids.raw}" -> "${ids.a}" [label="input"];`);
    const mermaid = ok(dir, ['lineage', 'm@1', '--format', 'mermaid']);
    expect(mermaid.split('\n')[0]).toBe('flowchart BT');
    expect(mermaid.match(/dataset raw@1/g)).toHaveLength(1);
  });

  it('answers impact questions: every model that descends from a dataset', () => {
    const { dir, ids } = fixture('diamond');
    const down = JSON.parse(ok(dir, ['lineage', 'raw', '--down', '--kind', 'model', '--json']));
    expect(down.nodes.map((n: { id: string }) => n.id).sort()).toEqual([ids.raw, ids.m1, ids.m2, ids.foreign].sort());
    expect(ok(dir, ['lineage', 'raw', '--down', '--kind', 'model'])).toMatch(/used by \(3\):/);
    const depth1 = JSON.parse(ok(dir, ['lineage', 'raw', '--down', '--depth', '1', '--json']));
    expect(depth1.nodes.map((n: { id: string }) => n.id).sort()).toEqual([ids.raw, ids.a, ids.b, ids.foreign].sort());
  });

  it('reads a record written by another tool and keeps its unknown fields', () => {
    const { dir, ids } = fixture('diamond');
    const rec = JSON.parse(ok(dir, ['show', 'foreign', '--json']));
    expect(rec.id).toBe(ids.foreign);
    expect(rec.record).toMatchObject({ kind: 'model', name: 'foreign', exporter: 'py-export 0.3', created: '2026-01-06T00:00:00Z' });
    expect(ok(dir, ['cat', ids.foreign.slice(0, 8)])).toMatch(/^# written by a Python exporter/);
    const v = JSON.parse(mlmeta(dir, ['verify', '--json']).stdout);
    expect(v.errors).toBe(0);
    expect(v.findings).toContainEqual(expect.objectContaining({ finding: 'NOT_CANONICAL', severity: 'info', id: ids.foreign }));
  });

  it('the corrupt fixture fails verify and refuses to show the object', () => {
    const { dir, ids } = fixture('corrupt');
    const r = mlmeta(dir, ['verify']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`error[HASH_MISMATCH]: ${ids.m}`);
    expect(mlmeta(dir, ['show', ids.m]).stderr).toMatch(/^error\[E_CORRUPT_OBJECT\]/);
  });
});

describe('diff and find', () => {
  it('diffs params, metrics with deltas and data against the previous version', () => {
    const { dir, ids } = fixture('diamond');
    const d = JSON.parse(ok(dir, ['diff', 'm', '--json']));
    expect(d.from.id).toBe(ids.m1);
    expect(d.to.id).toBe(ids.m2);
    expect(d.params.changed).toEqual([{ key: 'lr', from: 0.1, to: 0.05 }]);
    expect(d.metrics).toEqual([{ key: 'auc', from: 0.8, to: 0.85, delta: 0.05 }]);
    expect(d.data).toEqual([{ name: 'clean-b', from: { id: ids.b, version: 1 } }]);
    const text = ok(dir, ['diff', 'm@2', 'm@1']);
    expect(text).toMatch(/~ lr: 0\.05 -> 0\.1/);
    expect(text).toMatch(/~ auc: 0\.85 -> 0\.8 \(-0\.05\)/);
    expect(mlmeta(dir, ['diff', 'raw']).stderr).toMatch(/E_NOT_FOUND.*no previous version/);
  });

  it('finds by metric filters, sorts and limits; a bad expression points at the position', () => {
    const { dir, ids } = fixture('diamond');
    const hits = JSON.parse(ok(dir, ['find', '--kind', 'model', '--where', 'metrics.auc > 0.75', '--sort', 'metrics.auc', '--json']));
    expect(hits.map((h: { id: string }) => h.id)).toEqual([ids.m2, ids.m1]);
    expect(JSON.parse(ok(dir, ['find', '--where', 'metrics.auc >= 0.7 and (name = foreign or params.lr < 0.07)', '--sort', 'metrics.auc', '--asc', '--json'])).map((h: { id: string }) => h.id)).toEqual([ids.foreign, ids.m2]);
    expect(JSON.parse(ok(dir, ['find', '--kind', 'model', '--limit', '1', '--json']))).toHaveLength(1);
    expect(JSON.parse(ok(dir, ['find', '--where', 'author ~ fixture', '--kind', 'dataset', '--json']))).toHaveLength(3);
    expect(JSON.parse(ok(dir, ['find', '--since', '2026-01-04', '--kind', 'model', '--json'])).map((h: { id: string }) => h.id).sort()).toEqual([ids.m2, ids.foreign].sort());
    const bad = mlmeta(dir, ['find', '--where', 'metrics.auc > 0.9 and (name = x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error\[E_USAGE\]: bad --where expression at position 32: expected '\)'/);
    expect(mlmeta(dir, ['find', '--where', 'metrics.auc >> 1']).stderr).toMatch(/position 14/);
  });
});

describe('aliases', () => {
  it('moves, resolves, keeps history, deletes', () => {
    const { dir, ids } = fixture('diamond');
    expect(JSON.parse(ok(dir, ['show', 'm@production', '--json'])).id).toBe(ids.m1);
    ok(dir, ['alias', 'production', 'm@2', '-m', 'better auc'], { MLMETA_AUTHOR: 'Release Bot' });
    expect(JSON.parse(ok(dir, ['show', 'm@production', '--json'])).id).toBe(ids.m2);
    const hist = JSON.parse(ok(dir, ['alias', '--history', 'm', '--json']));
    expect(hist.map((h: { target: string; from: string[] }) => [h.from, h.target])).toEqual([[[ids.m1], ids.m2], [[], ids.m1]]);
    expect(hist[0].author).toBe('Release Bot');
    expect(ok(dir, ['alias'])).toContain(`m@production -> ${ids.m2.slice(0, 12)}`);
    ok(dir, ['alias', '--delete', 'production', 'm']);
    expect(mlmeta(dir, ['show', 'm@production']).stderr).toMatch(/E_NOT_FOUND.*removed/);
    expect(JSON.parse(ok(dir, ['alias', '--history', 'm', '--json']))).toHaveLength(3);
    expect(mlmeta(dir, ['alias', 'bad alias!', 'm']).code).toBe(1);
  });

  it('an alias moved on two branches is ambiguous after the merge until set again', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    const v1 = ok(repo, ['record', 'model', '--name', 'm', '--param', 'x=1']);
    const v2 = ok(repo, ['record', 'model', '--name', 'm', '--param', 'x=2']);
    ok(repo, ['alias', 'production', v1]);
    git(repo, 'add', '.'); git(repo, 'commit', '-qm', 'v1 in production');
    git(repo, 'checkout', '-qb', 'other');
    ok(repo, ['alias', 'production', v2]);
    git(repo, 'add', '.'); git(repo, 'commit', '-qm', 'other: v2');
    git(repo, 'checkout', '-q', 'main');
    ok(repo, ['alias', 'production', v1, '-m', 'stay']);
    git(repo, 'add', '.'); git(repo, 'commit', '-qm', 'main: stay');
    git(repo, 'merge', '-q', '--no-edit', 'other');
    expect(mlmeta(repo, ['show', 'm@production']).stderr).toMatch(/E_AMBIGUOUS.*moved on different branches/);
    expect(ok(repo, ['alias'])).toMatch(/CONFLICT/);
    ok(repo, ['alias', 'production', v2]);
    expect(JSON.parse(ok(repo, ['show', 'm@production', '--json'])).id).toBe(v2);
  });
});

describe('the derived index', () => {
  it('is rebuilt when deleted and notices objects that git adds or removes', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    ok(repo, ['record', 'dataset', '--name', 'd']);
    git(repo, 'add', '.'); git(repo, 'commit', '-qm', 'base');
    git(repo, 'checkout', '-qb', 'feature');
    const f = ok(repo, ['record', 'model', '--name', 'm', '--data', 'd']);
    git(repo, 'add', '.'); git(repo, 'commit', '-qm', 'feature');
    git(repo, 'checkout', '-q', 'main');
    // git removed the object: the index must not answer from memory
    expect(mlmeta(repo, ['show', 'm']).stderr).toMatch(/E_NOT_FOUND/);
    expect(JSON.parse(ok(repo, ['find', '--kind', 'model', '--json']))).toEqual([]);
    git(repo, 'merge', '-q', '--no-edit', 'feature');
    expect(JSON.parse(ok(repo, ['show', 'm', '--json'])).id).toBe(f);
    expect(JSON.parse(ok(repo, ['lineage', 'd', '--down', '--json'])).nodes.map((n: { id: string }) => n.id)).toContain(f);
    fs.rmSync(path.join(repo, '.mlmeta/cache'), { recursive: true });
    expect(JSON.parse(ok(repo, ['show', 'm', '--json'])).id).toBe(f);
    // a damaged index file (garbage bytes) is rebuilt, with a warning, and answers right
    const db = path.join(repo, '.mlmeta/cache/index.sqlite');
    expect(fs.existsSync(db)).toBe(true);
    for (const side of ['-wal', '-shm']) fs.rmSync(db + side, { force: true });
    fs.writeFileSync(db, Buffer.alloc(64 * 1024, 'garbage! '));
    const r = mlmeta(repo, ['find', '--kind', 'model', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: the index .*index\.sqlite was damaged; rebuilding it/);
    expect(JSON.parse(r.stdout).map((h: { id: string }) => h.id)).toEqual([f]);
    expect(mlmeta(repo, ['show', 'm']).stderr).toBe(''); // rebuilt once, then trusted
    expect(JSON.parse(ok(repo, ['lineage', 'd', '--down', '--json'])).nodes.map((n: { id: string }) => n.id)).toContain(f);
  });
});

describe('the index after a record', () => {
  it('holds the new record (added by record itself) and answers with it', () => {
    const { dir, ids } = fixture('diamond');
    ok(dir, ['find', '--json']);
    const m3 = ok(dir, ['record', 'model', '--name', 'm', '--data', 'clean-a', '--code', 'none', '--env', 'none']);
    expect(JSON.parse(ok(dir, ['show', 'm', '--json'])).id).toBe(m3);
    expect(JSON.parse(ok(dir, ['lineage', 'raw', '--down', '--kind', 'model', '--json'])).nodes.map((n: { id: string }) => n.id)).toContain(m3);
    expect(JSON.parse(ok(dir, ['log', 'm', '--json'])).map((e: { id: string }) => e.id)).toEqual([m3, ids.m2, ids.m1]);
    expect(JSON.parse(ok(dir, ['find', '--kind', 'model', '--json'])).map((h: { id: string }) => h.id)).toContain(m3);
  });
});

describe('a cold index over many fan-out folders', () => {
  it('agrees with the objects and answers lineage and find', async () => {
    const { generateStore } = await import('../../bench/generate.mjs');
    const dir = tempDir('mlmeta-many-');
    const gen = generateStore(dir, 1500, { chain: 300, fan: 300 }) as { count: number; chainHead: string; fanData: string };
    expect(fs.readdirSync(path.join(dir, '.mlmeta/objects')).length).toBeGreaterThan(200);
    const all = JSON.parse(ok(dir, ['find', '--json']));
    expect(all).toHaveLength(gen.count);
    expect(fs.statSync(path.join(dir, '.mlmeta/cache/index.sqlite')).size).toBeGreaterThan(0);
    const chain = JSON.parse(ok(dir, ['lineage', gen.chainHead, '--json']));
    expect(chain.nodes.filter((n: { kind: string }) => n.kind === 'model')).toHaveLength(300);
    const fan = JSON.parse(ok(dir, ['lineage', gen.fanData, '--down', '--kind', 'model', '--json']));
    expect(fan.nodes).toHaveLength(301);
    expect(JSON.parse(ok(dir, ['show', 'deep@7', '--json'])).record.version).toBe(7);
  });
});

describe('demo', () => {
  it('builds a real history with datasets, models and an alias, and verify is clean', () => {
    const r = mlmeta(process.cwd(), ['demo', '--json']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    try {
      expect(res.datasets).toHaveLength(2);
      expect(res.models).toHaveLength(3);
      expect(JSON.parse(ok(res.dir, ['show', 'churn-model@production', '--json'])).id).toBe(res.models[2]);
      const v = JSON.parse(mlmeta(res.dir, ['verify', '--json']).stdout);
      expect(v.errors).toBe(0);
      expect(v.warnings).toBe(0);
      expect(git(res.dir, 'status', '--porcelain')).toBe('');
      const text = mlmeta(process.cwd(), ['demo']);
      expect(text.stdout).toMatch(/Made a demo project with lineage in \S+mlmeta-demo-/);
      expect(text.stdout).toMatch(/made from:/);
      fs.rmSync(text.stdout.match(/in (\S+mlmeta-demo-\S+)/)![1]!, { recursive: true, force: true });
    } finally {
      fs.rmSync(res.dir, { recursive: true, force: true });
    }
  });
});

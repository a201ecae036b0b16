// `mlmeta import dvc`: the real DVC fixtures (2.x and 3.x locks, .dvc files across format
// generations), --all-commits over a real git history, sha256 of local files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { git, snapshot } from '../helpers/dirs.js';
import { fixture, json, storeRepo } from './helpers.js';

/** A repo holding a fixture project, committed at a fixed date. */
function project(name: string, date = '2024-01-30T10:00:00Z'): string {
  const d = storeRepo();
  fs.cpSync(fixture('dvc', name), d, { recursive: true });
  git(d, 'add', '-A');
  git(d, '-c', `user.name=Dee`, 'commit', '-q', '-m', name, '--date', date);
  return d;
}

const importDvc = (d: string, ...extra: string[]) => {
  const r = mlmeta(d, ['import', 'dvc', '--json', ...extra], { GIT_COMMITTER_DATE: '2024-01-30T10:00:00Z' });
  expect(r.stderr).not.toContain('error[');
  expect(r.code).toBe(0);
  return json(r.stdout);
};

describe('import dvc: real fixtures', () => {
  it('DVC 3 example-get-started: 4 stages, flat params, dir outs, an import .dvc, model artifact', () => {
    const d = project('dvc3-example-get-started');
    importDvc(d);
    const train = json(ok(d, ['show', 'train', '--json'])).record;
    expect(train.command).toBe('python src/train.py data/features model.pkl');
    expect(train.params).toEqual({ train: { min_split: 0.01, n_est: 50, seed: 20170428 } });
    expect(train.created).toBe('2024-01-30T10:00:00.000Z');
    expect(train.dvc.deps).toEqual([{ path: 'src/train.py', hash: 'md5', md5: '324001573ed724e5ae092226fcf9ca30', size: 1666 }]);
    const model = json(ok(d, ['show', 'model.pkl', '--json'])).record;
    expect(model.kind).toBe('model');
    expect(model.digests.md5).toBe('d1f6e055f7f5e2827fcfae68d9b64d4c');
    expect(model.dvc.artifact).toBe('text-classification');
    const raw = json(ok(d, ['show', 'data/data.xml', '--json'])).record;
    expect(raw.dvc.import).toEqual({ path: 'get-started/data.xml', url: 'https://github.com/iterative/dataset-registry', rev_lock: 'f59388cd04276e75d70b2136597aaa27e7937cc3' });
    // lineage: model ← train ← data/features ← featurize ← data/prepared ← prepare ← data/data.xml (.dvc)
    const lineage = ok(d, ['lineage', 'model.pkl']);
    for (const s of ['run train@1', 'dataset data/features@1', 'run featurize@1', 'dataset data/prepared@1', 'run prepare@1', 'dataset data/data.xml@1']) expect(lineage).toContain(s);
    expect(json(ok(d, ['find', '--where', 'dvc.md5 = "153aad06d376b6595932470e459ef42a.dir"', '--json'])).length).toBeGreaterThan(0);
  });

  it('DVC 3 experiments: nested group params, a directory .dvc', () => {
    const d = project('dvc3-get-started-experiments');
    importDvc(d);
    const train = json(ok(d, ['show', 'train', '--json'])).record;
    expect(train.params.train.fine_tune_args).toEqual({ epochs: 8, base_lr: 0.01 });
    expect(train.params.base.random_seed).toBe(42);
    const pool = json(ok(d, ['show', 'data/pool_data', '--json'])).record;
    expect(pool.dvc).toMatchObject({ md5: '14d187e749ee5614e105741c719fa185.dir', nfiles: 183, size: 18999874, file: 'data/pool_data.dvc' });
    expect(json(ok(d, ['find', '--kind', 'model', '--json'])).map((h: any) => h.record.name)).toEqual(['models/model.pkl']);
  });

  it('DVC 2 experiments: no hash field, DVCLive metrics files read into the runs and the model', () => {
    const d = project('dvc2-get-started-experiments', '2023-06-07T10:00:00Z');
    importDvc(d);
    const train = json(ok(d, ['show', 'train', '--json'])).record;
    expect(train.metrics.dice_multi).toBe(0.9074632211334721);
    expect(train.metrics.train.loss).toBe(0.03409894183278084);
    const model = json(ok(d, ['show', 'models/model.pkl', '--json'])).record;
    expect(model.metrics.dice_multi).toBe(0.8927054054766419); // the evaluate stage's, written after train's
    expect(ok(d, ['find', '--kind', 'run', '--where', 'metrics.dice_multi > 0.9'])).toContain('run train@1');
  });

  it('.dvc files across format generations (0.x, 2.x, 3.x)', () => {
    for (const f of ['cats-dogs.dvc0-2019.dvc', 'cats-dogs.dvc2-2022.dvc', 'cats-dogs.dvc3-2024.dvc']) {
      const d = storeRepo();
      fs.copyFileSync(fixture('dvc/dvc-file-history', f), path.join(d, 'cats-dogs.dvc'));
      const res = importDvc(d);
      expect(res.added).toBe(1);
      const r = json(ok(d, ['show', 'cats-dogs', '--json'])).record;
      expect(r.dvc.md5).toMatch(/^[0-9a-f]{32}\.dir$/);
    }
  });

  it('sha256 only for a local file whose bytes still have the recorded md5', () => {
    const d = storeRepo();
    fs.writeFileSync(path.join(d, 'data.csv'), 'a,b\n1,2\n');
    fs.writeFileSync(path.join(d, 'data.csv.dvc'), 'outs:\n- md5: 4a1ba2a6d6d8cae36a2bd9d4b09e85dc\n  size: 8\n  hash: md5\n  path: data.csv\n');
    git(d, 'add', 'data.csv.dvc');
    git(d, 'commit', '-q', '-m', 'data');
    const md5 = (fs.readFileSync(path.join(d, 'data.csv.dvc'), 'utf8').match(/md5: (\w+)/) ?? [])[1];
    const real = require('node:crypto').createHash('md5').update(fs.readFileSync(path.join(d, 'data.csv'))).digest('hex');
    if (md5 !== real) fs.writeFileSync(path.join(d, 'data.csv.dvc'), `outs:\n- md5: ${real}\n  size: 8\n  hash: md5\n  path: data.csv\n`);
    git(d, 'commit', '-qam', 'md5');
    importDvc(d);
    const r = json(ok(d, ['show', 'data.csv', '--json'])).record;
    expect(r.digests.sha256).toBe(require('node:crypto').createHash('sha256').update('a,b\n1,2\n').digest('hex'));
    fs.writeFileSync(path.join(d, 'data.csv'), 'changed\n');
    const d2 = storeRepo();
    fs.copyFileSync(path.join(d, 'data.csv.dvc'), path.join(d2, 'data.csv.dvc'));
    fs.writeFileSync(path.join(d2, 'data.csv'), 'changed\n');
    importDvc(d2);
    expect(json(ok(d2, ['show', 'data.csv', '--json'])).record.digests.sha256).toBeUndefined();
  });
});

describe('import dvc: history, idempotence, refusals', () => {
  it('--all-commits rebuilds version lines from the commits that changed dvc.lock', () => {
    const d = project('dvc2-get-started-experiments', '2023-06-07T10:00:00Z');
    for (const f of ['dvc.yaml', 'dvc.lock', 'params.yaml', 'data/pool_data.dvc']) fs.copyFileSync(fixture('dvc/dvc3-get-started-experiments', f), path.join(d, f));
    git(d, 'add', '-A');
    git(d, 'commit', '-q', '-m', 'dvc 3', '--date', '2024-01-30T10:00:00Z');
    const first = importDvc(d, '--all-commits');
    const model = json(ok(d, ['show', 'models/model.pkl', '--json'])).record;
    expect(model.version).toBe(2);
    expect(model.digests.md5).toBe('63cb30df484bfa1d6ea2cdebac74876c');
    const before = json(ok(d, ['show', 'models/model.pkl@1', '--json'])).record;
    expect(before.digests.md5).toBe('02301e86dee02e836a13208877456f4b');
    expect(before.created).toBe('2023-06-07T10:00:00.000Z');
    expect(ok(d, ['diff', 'train'])).toContain('random_seed');
    const snap = snapshot(path.join(d, '.mlmeta/objects'));
    expect(importDvc(d, '--all-commits').added).toBe(0);
    expect(snapshot(path.join(d, '.mlmeta/objects'))).toEqual(snap);
    expect(first.added).toBeGreaterThan(10);
  });

  it('a dvc.lock that does not parse: one error line, store unchanged', () => {
    const d = project('dvc3-example-get-started');
    fs.writeFileSync(path.join(d, 'dvc.lock'), 'schema: "2.0"\nstages: {prepare: [\n');
    const before = snapshot(path.join(d, '.mlmeta/objects'));
    const r = mlmeta(d, ['import', 'dvc']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error\[E_IMPORT_SOURCE\]: dvc\.lock: /);
    expect(snapshot(path.join(d, '.mlmeta/objects'))).toEqual(before);
  });

  it('a folder without DVC files is refused', () => {
    const d = storeRepo();
    const r = mlmeta(d, ['import', 'dvc']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_NOT_FOUND\]: .* has no dvc\.yaml, dvc\.lock or \.dvc file/);
  });
});

// `mlmeta import mlflow`: every real mlruns fixture imports, and the imported history
// answers log/show/lineage/diff/find with the values MLflow wrote.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { snapshot, tempDir } from '../helpers/dirs.js';
import { copyFixture, fixture, json, storeRepo } from './helpers.js';

const load = createRequire(import.meta.url);

function importJson(dir: string, source: string, extra: string[] = []) {
  const r = mlmeta(dir, ['import', 'mlflow', source, '--json', ...extra]);
  expect(r.stderr).not.toContain('error[');
  expect(r.code).toBe(0);
  return json(r.stdout);
}

describe('import mlflow: real mlruns fixtures', () => {
  it('v1 Keras autolog (1.x shapes, stray nested mlruns)', () => {
    const d = storeRepo();
    const res = importJson(d, fixture('mlflow/v1-keras-autolog/mlruns'));
    expect(res.added).toBe(1);
    expect(res.warnings.join('\n')).toContain('skipped mlruns/');
    const run = json(ok(d, ['show', 'Speech model simple rnn', '--json'])).record;
    expect(run.mlflow.run_id).toBe('ed05f9cd599442fe9a0c9222184710b8');
    expect(run.author).toBe('Maelaf ES');
    expect(run.created).toBe(new Date(1628697775478).toISOString());
    expect(run.params.opt_name).toBe(fs.readFileSync(fixture('mlflow/v1-keras-autolog/mlruns/1/ed05f9cd599442fe9a0c9222184710b8/params/opt_name'), 'utf8'));
    expect(run.history.loss.count).toBe(10);
    expect(run.history.loss.points.split('\n')[0]).toBe('0 332.6841735839844 1628697792090');
    expect(run.mlflow.tags['mlflow.autologging']).toBe('tensorflow');
  });

  it('v2 dataset inputs: datasets with MLflow digests, linked as data; git commit; tag with a space', () => {
    const d = storeRepo();
    const res = importJson(d, fixture('mlflow/v2-datasets-inputs/mlruns'));
    expect(res.records.filter((r: any) => r.kind === 'dataset')).toHaveLength(2);
    const hit = json(ok(d, ['find', '--where', 'mlflow.run_id = "3e6023683a1a4177bd78b0a346041a32"', '--json']));
    expect(hit).toHaveLength(1);
    const run = json(ok(d, ['show', hit[0].id, '--json'])).record;
    expect(run.code.commit).toBe(fs.readFileSync(fixture('mlflow/v2-datasets-inputs/mlruns/0/3e6023683a1a4177bd78b0a346041a32/tags/mlflow.source.git.commit'), 'utf8'));
    const dataParent = run.parents.find((p: any) => p.role === 'data');
    const ds = json(ok(d, ['show', dataParent.id, '--json'])).record;
    expect(ds.kind).toBe('dataset');
    expect(ds.mlflow.dataset_id).toBe('5ed02110c9d36a9e9e99af3fbed1641f');
    expect(ds.digests.mlflow).toBe(fs.readFileSync(fixture('mlflow/v2-datasets-inputs/mlruns/0/datasets/5ed02110c9d36a9e9e99af3fbed1641f/meta.yaml'), 'utf8').match(/digest: (\w+)/)![1]);
    // the registered model version is made by its run
    const mv = json(ok(d, ['show', 'tracking-quickstart@1', '--json'])).record;
    expect(mv.mlflow.version).toBe(1);
    const lineage = ok(d, ['lineage', 'tracking-quickstart@1']);
    expect(lineage).toContain('run: run MLflow IrisRegression@1');
  });

  it('v2.17: multi-step metrics as history, diff between runs, registry aliases', () => {
    const d = storeRepo();
    importJson(d, fixture('mlflow/v2_17-country-guess/mlruns'));
    const hit = json(ok(d, ['find', '--kind', 'run', '--where', 'mlflow.run_id = "73a1c9a8038c4ad8bb32cf6ddfa937e7"', '--json']));
    expect(hit).toHaveLength(1); // (the registered version made from it carries the run id too)
    const run = json(ok(d, ['show', hit[0].id, '--json'])).record;
    expect(run.mlflow.run_name).toBe('entertaining-owl-269');
    expect(run.params.learning_rate).toBe('0.006062179392646305');
    expect(run.history.loss.count).toBe(12);
    expect(run.metrics.loss).toBe(0.00516661877433459); // the value at the last step (11)
    // params compare as numbers in find
    expect(json(ok(d, ['find', '--kind', 'run', '--where', 'params.learning_rate > 0.006 and params.learning_rate < 0.0061', '--json'])).map((h: any) => h.id)).toContain(hit[0].id);
    // the champion alias points at version 1 of model "default", made by that run
    const champion = json(ok(d, ['show', 'default@champion', '--json']));
    expect(champion.record.mlflow.run_id).toBe('73a1c9a8038c4ad8bb32cf6ddfa937e7');
    expect(champion.record.parents.find((p: any) => p.role === 'run').id).toBe(hit[0].id);
    const diff = ok(d, ['diff', `${run.name}@${run.version}`]);
    expect(diff).toContain('params:');
    expect(ok(d, ['log', 'Default'])).toContain('run Default@5');
  });

  it('v3 logged models and aliases: registered version ← logged model ← run', () => {
    const d = storeRepo();
    importJson(d, fixture('mlflow/v3-logged-models-aliases/mlruns'));
    const v1 = json(ok(d, ['show', 'sk-learn-random-forest-reg-model@champion', '--json'])).record;
    expect(v1.version).toBe(1);
    expect(v1.mlflow.model_id).toBe('m-8295c1ec84394a5cb43029483caa8a4e');
    const logged = json(ok(d, ['find', '--where', 'mlflow.model_id = "m-8295c1ec84394a5cb43029483caa8a4e"', '--kind', 'model', '--name', 'sklearn-model', '--json']));
    expect(logged).toHaveLength(1);
    expect(v1.parents.find((p: any) => p.role === 'source').id).toBe(logged[0].id);
    // the duplicated metric line is kept as logged (two points), the final value is MLflow's latest
    const run = json(ok(d, ['show', 'mlflow_model_registry', '--json'])).record;
    expect(run.history.mse.count).toBe(2);
    expect(run.metrics.mse).toBe(356.6847104398046);
    expect(run.code.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('v3.3 tracking server layout: 4 runs → 4 logged models → registry versions 1–4', () => {
    const d = storeRepo();
    const res = importJson(d, fixture('mlflow/v3_3-logged-models-server/mlruns'));
    expect(res.records.filter((r: any) => r.kind === 'run')).toHaveLength(4);
    const v4 = json(ok(d, ['show', 'tracking-quickstart@4', '--json'])).record;
    expect(v4.mlflow.version).toBe(4);
    expect(ok(d, ['lineage', 'tracking-quickstart@4'])).toMatch(/source: model iris_model@4/);
  });
});

describe('import mlflow: idempotent, dry, all or nothing', () => {
  it('the same source twice adds nothing; the store is byte-identical', () => {
    const d = storeRepo();
    const first = importJson(d, fixture('mlflow/v2_17-country-guess/mlruns'));
    expect(first.added).toBeGreaterThan(5);
    const before = snapshot(path.join(d, '.mlmeta/objects'));
    const second = importJson(d, fixture('mlflow/v2_17-country-guess/mlruns'));
    expect(second.added).toBe(0);
    expect(second.existing).toBe(first.added);
    expect(snapshot(path.join(d, '.mlmeta/objects'))).toEqual(before);
  });

  it('a grown source adds only the new run, as the next version', () => {
    const src = copyFixture('mlflow/v2_17-country-guess/mlruns');
    const extra = path.join(src, '0/df2fe38e45be4b118b6835c3b5817ae0');
    const held = tempDir();
    fs.renameSync(extra, path.join(held, 'run'));
    const d = storeRepo();
    const first = importJson(d, src);
    fs.renameSync(path.join(held, 'run'), extra);
    const second = importJson(d, src);
    expect(second.added).toBeGreaterThanOrEqual(1);
    expect(second.existing).toBe(first.added);
  });

  it('--dry-run says what it would add and writes nothing', () => {
    const d = storeRepo();
    const before = snapshot(path.join(d, '.mlmeta'));
    const r = mlmeta(d, ['import', 'mlflow', fixture('mlflow/v3-logged-models-aliases/mlruns'), '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('would add');
    expect(r.stdout).toContain('model sk-learn-random-forest-reg-model@2');
    const after = snapshot(path.join(d, '.mlmeta'));
    for (const k of [...after.keys()].filter((k) => k.startsWith('cache/'))) after.delete(k);
    for (const k of [...before.keys()].filter((k) => k.startsWith('cache/'))) before.delete(k);
    expect(after).toEqual(before);
  });

  it('a broken meta.yaml is one error line and an unchanged store', () => {
    const src = copyFixture('mlflow/v2_17-country-guess/mlruns');
    fs.writeFileSync(path.join(src, '0/73a1c9a8038c4ad8bb32cf6ddfa937e7/meta.yaml'), 'run_id: [unclosed\n');
    const d = storeRepo();
    const before = snapshot(path.join(d, '.mlmeta/objects'));
    const r = mlmeta(d, ['import', 'mlflow', src]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error\[E_IMPORT_SOURCE\]: 0\/73a1c9a8038c4ad8bb32cf6ddfa937e7\/meta\.yaml: /);
    expect(snapshot(path.join(d, '.mlmeta/objects'))).toEqual(before);
  });

  it('a bad metric line names the file and line', () => {
    const src = copyFixture('mlflow/v2_17-country-guess/mlruns');
    fs.appendFileSync(path.join(src, '0/73a1c9a8038c4ad8bb32cf6ddfa937e7/metrics/loss'), 'oops\n');
    const d = storeRepo();
    const r = mlmeta(d, ['import', 'mlflow', src]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error\[E_IMPORT_SOURCE\]: 0\/73a1c9a8038c4ad8bb32cf6ddfa937e7\/metrics\/loss: line 13 /);
  });

  it('odd encodings: a BOM, CRLF lines and Latin-1 bytes are read', () => {
    const src = copyFixture('mlflow/v1-keras-autolog/mlruns');
    const run = path.join(src, '1/ed05f9cd599442fe9a0c9222184710b8');
    fs.writeFileSync(path.join(run, 'meta.yaml'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(fs.readFileSync(path.join(run, 'meta.yaml'), 'utf8').replace(/\n/g, '\r\n'))]));
    fs.writeFileSync(path.join(run, 'tags/mlflow.user'), Buffer.from([0x4a, 0xf6, 0x72, 0x67])); // "Jörg" in Latin-1
    fs.writeFileSync(path.join(run, 'metrics/loss'), fs.readFileSync(path.join(run, 'metrics/loss'), 'utf8').replace(/\n/g, '\r\n'));
    const d = storeRepo();
    importJson(d, src);
    const rec = json(ok(d, ['show', 'Speech model simple rnn', '--json'])).record;
    expect(rec.author).toBe('Jörg');
    expect(rec.history.loss.count).toBe(10);
  });
});

describe('import mlflow: SQLite database', () => {
  it('reads runs, params, metric history, datasets, registry and aliases from mlflow.db', () => {
    const dir = tempDir();
    const file = path.join(dir, 'mlflow.db');
    const Database = load('better-sqlite3');
    const db = new Database(file);
    // The tables and columns of MLflow's SQLAlchemy models (tests/resources/db/latest_schema.sql).
    db.exec(`
      CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY, name VARCHAR(256) UNIQUE, artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32), creation_time BIGINT, last_update_time BIGINT);
      CREATE TABLE experiment_tags (key VARCHAR(250), value VARCHAR(5000), experiment_id INTEGER);
      CREATE TABLE runs (run_uuid VARCHAR(32) PRIMARY KEY, name VARCHAR(250), source_type VARCHAR(20), source_name VARCHAR(500), entry_point_name VARCHAR(50), user_id VARCHAR(256), status VARCHAR(9), start_time BIGINT, end_time BIGINT, source_version VARCHAR(50), lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200), experiment_id INTEGER, deleted_time BIGINT);
      CREATE TABLE params (key VARCHAR(250), value VARCHAR(8000), run_uuid VARCHAR(32));
      CREATE TABLE metrics (key VARCHAR(250), value FLOAT, timestamp BIGINT, run_uuid VARCHAR(32), step BIGINT, is_nan BOOLEAN);
      CREATE TABLE tags (key VARCHAR(250), value VARCHAR(8000), run_uuid VARCHAR(32));
      CREATE TABLE datasets (dataset_uuid VARCHAR(36), experiment_id INTEGER, name VARCHAR(500), digest VARCHAR(36), dataset_source_type VARCHAR(36), dataset_source TEXT, dataset_schema TEXT, dataset_profile TEXT);
      CREATE TABLE inputs (input_uuid VARCHAR(36), source_type VARCHAR(36), source_id VARCHAR(36), destination_type VARCHAR(36), destination_id VARCHAR(36));
      CREATE TABLE input_tags (input_uuid VARCHAR(36), name VARCHAR(255), value VARCHAR(500));
      CREATE TABLE registered_models (name VARCHAR(256) PRIMARY KEY, creation_time BIGINT, last_updated_time BIGINT, description VARCHAR(5000));
      CREATE TABLE registered_model_aliases (alias VARCHAR(256), version INTEGER, name VARCHAR(256));
      CREATE TABLE model_versions (name VARCHAR(256), version INTEGER, creation_time BIGINT, last_updated_time BIGINT, description VARCHAR(5000), user_id VARCHAR(256), current_stage VARCHAR(20), source VARCHAR(500), run_id VARCHAR(32), status VARCHAR(20), status_message VARCHAR(500), run_link VARCHAR(500), storage_location VARCHAR(500));
      INSERT INTO experiments VALUES (1, 'churn', 'mlflow-artifacts:/1', 'active', 1750000000000, 1750000000000);
      INSERT INTO runs VALUES ('aaaa0000aaaa0000aaaa0000aaaa0000', 'bold-fox', 'LOCAL', 'train.py', '', 'ana', 'FINISHED', 1750000001000, 1750000061000, '', 'active', 'x', 1, NULL);
      INSERT INTO runs VALUES ('bbbb0000bbbb0000bbbb0000bbbb0000', 'calm-owl', 'LOCAL', 'train.py', '', 'ana', 'FAILED', 1750000100000, 1750000101000, '', 'active', 'x', 1, NULL);
      INSERT INTO params VALUES ('lr', '0.01', 'aaaa0000aaaa0000aaaa0000aaaa0000'), ('lr', '0.1', 'bbbb0000bbbb0000bbbb0000bbbb0000');
      INSERT INTO metrics VALUES ('loss', 0.9, 1750000002000, 'aaaa0000aaaa0000aaaa0000aaaa0000', 0, 0), ('loss', 0.4, 1750000003000, 'aaaa0000aaaa0000aaaa0000aaaa0000', 1, 0), ('loss', 0, 1750000004000, 'aaaa0000aaaa0000aaaa0000aaaa0000', 2, 1);
      INSERT INTO tags VALUES ('mlflow.source.git.commit', '0123456789abcdef0123456789abcdef01234567', 'aaaa0000aaaa0000aaaa0000aaaa0000');
      INSERT INTO datasets VALUES ('d1', 1, 'train', 'abcd1234', 'local', '{"uri": "data/train.csv"}', NULL, NULL);
      INSERT INTO inputs VALUES ('i1', 'DATASET', 'd1', 'RUN', 'aaaa0000aaaa0000aaaa0000aaaa0000');
      INSERT INTO input_tags VALUES ('i1', 'mlflow.data.context', 'training');
      INSERT INTO registered_models VALUES ('churn-model', 1750000200000, 1750000200000, '');
      INSERT INTO model_versions VALUES ('churn-model', 1, 1750000200000, 1750000200000, '', 'ana', 'None', 'runs:/aaaa0000aaaa0000aaaa0000aaaa0000/model', 'aaaa0000aaaa0000aaaa0000aaaa0000', 'READY', NULL, '', NULL);
      INSERT INTO registered_model_aliases VALUES ('production', 1, 'churn-model');
    `);
    db.close();
    const d = storeRepo();
    const res = importJson(d, file);
    expect(res.added).toBe(5); // dataset, 2 runs, model version, alias
    const run = json(ok(d, ['show', 'churn@1', '--json'])).record;
    expect(run.status).toBe('succeeded');
    expect(run.code.commit).toBe('0123456789abcdef0123456789abcdef01234567');
    expect(run.history.loss.points).toBe('0 0.9 1750000002000\n1 0.4 1750000003000\n2 nan 1750000004000\n');
    expect(run.metrics).toBeUndefined(); // the latest loss is NaN: kept in history only
    expect(json(ok(d, ['show', 'churn@2', '--json'])).record.status).toBe('failed');
    const model = json(ok(d, ['show', 'churn-model@production', '--json'])).record;
    expect(model.parents.find((p: any) => p.role === 'run')).toBeTruthy();
    expect(ok(d, ['lineage', 'churn-model@production'])).toContain('data: dataset train@1');
    expect(importJson(d, file).added).toBe(0);
  });
});

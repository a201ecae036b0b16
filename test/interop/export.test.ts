// Exports validate against the official schemas (OpenLineage 2-0-2 JSON Schema, draft
// 2020-12 + facet schemas; the PROV-JSON submission schema, draft-04), are byte-identical
// twice over, and `--url` POSTs every event to a real loopback HTTP server.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import Ajv2020 from 'ajv/dist/2020';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { load } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, mlmeta, ok } from '../helpers/cli.js';
import { git, gitEnv } from '../helpers/dirs.js';
import { fixture, storeRepo } from './helpers.js';

let d = '';
let dvc = '';
beforeAll(() => {
  d = storeRepo();
  ok(d, ['import', 'mlflow', fixture('mlflow/v2-datasets-inputs/mlruns')]);
  ok(d, ['import', 'mlflow', fixture('mlflow/v3-logged-models-aliases/mlruns')]);
  dvc = storeRepo();
  fs.cpSync(fixture('dvc/dvc3-example-get-started'), dvc, { recursive: true });
  git(dvc, 'add', '-A');
  git(dvc, 'commit', '-q', '-m', 'pipeline', '--date', '2023-08-26T10:00:00Z');
  ok(dvc, ['import', 'dvc']);
}, 120_000);

/**
 * Serve `handler` on a loopback port, run `export openlineage model.pkl --url` against it
 * (`url` gets the port), and give back the exit code and output once both have finished.
 */
async function exportTo(url: (port: number) => string, handler: http.RequestListener): Promise<{ code: number; stdout: string; stderr: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const child = spawn(process.execPath, [BIN, 'export', 'openlineage', 'model.pkl', '--url', url(port)], { cwd: dvc, env: { ...process.env, ...gitEnv, MLMETA_DIR: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => { stdout += c; });
  child.stderr.on('data', (c) => { stderr += c; });
  const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
  server.close();
  return { code, stdout, stderr };
}

function openLineageValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(JSON.parse(fs.readFileSync(fixture('openlineage/schema/OpenLineage.json'), 'utf8')));
  const facets = new Map<string, ReturnType<typeof ajv.compile>>();
  for (const f of fs.readdirSync(fixture('openlineage/schema/facets'))) {
    const schema = JSON.parse(fs.readFileSync(fixture('openlineage/schema/facets', f), 'utf8'));
    for (const key of Object.keys(schema.properties ?? {})) facets.set(key, ajv.compile(schema));
  }
  const core = ajv.getSchema('https://openlineage.io/spec/2-0-2/OpenLineage.json')!;
  return (event: any) => {
    const errors: unknown[] = [];
    if (!core(event)) errors.push(core.errors);
    const check = (owner: Record<string, unknown> | undefined) => {
      for (const [key, body] of Object.entries(owner ?? {})) {
        const v = facets.get(key);
        if (v && !v({ [key]: body })) errors.push({ key, errors: v.errors });
      }
    };
    check(event.run?.facets);
    check(event.job?.facets);
    for (const ds of [...(event.inputs ?? []), ...(event.outputs ?? [])]) check(ds.facets);
    return errors;
  };
}

describe('export openlineage', () => {
  it('the validator rejects what it should (it can fail)', () => {
    const validate = openLineageValidator();
    const good = JSON.parse(fs.readFileSync(fixture('openlineage/events/airflow-task-complete.json'), 'utf8'));
    expect(validate(good)).toEqual([]);
    expect(validate({ ...good, run: { runId: 'not-a-uuid' } }).length).toBeGreaterThan(0);
  });

  it('events of an MLflow model and a DVC model validate, with datasets, versions and params', () => {
    const validate = openLineageValidator();
    for (const [dir, ref] of [[d, 'tracking-quickstart@1'], [d, 'sk-learn-random-forest-reg-model@champion'], [dvc, 'model.pkl']] as const) {
      const lines = ok(dir, ['export', 'openlineage', ref]).split('\n');
      const events = lines.map((l) => JSON.parse(l));
      expect(events.length).toBeGreaterThanOrEqual(2);
      for (const e of events) expect(validate(e)).toEqual([]);
      expect(events.filter((e) => e.eventType === 'START')).toHaveLength(events.filter((e) => e.eventType !== 'START').length);
    }
    const events = ok(dvc, ['export', 'openlineage', 'model.pkl']).split('\n').map((l) => JSON.parse(l));
    const train = events.find((e) => e.job.name === 'train' && e.eventType === 'COMPLETE');
    expect(train.inputs.map((i: any) => i.name)).toEqual(['data/features']);
    expect(train.outputs[0].name).toBe('model.pkl');
    expect(train.outputs[0].facets.version.datasetVersion).toContain('md5:d1f6e055f7f5e2827fcfae68d9b64d4c');
    expect(train.run.facets.executionParameters.parameters).toContainEqual({ key: 'train.n_est', value: '50' });
  });

  it('is deterministic: two exports are byte-equal', () => {
    expect(ok(dvc, ['export', 'openlineage', 'model.pkl'])).toBe(ok(dvc, ['export', 'openlineage', 'model.pkl']));
    expect(ok(d, ['export', 'prov', 'tracking-quickstart@1'])).toBe(ok(d, ['export', 'prov', 'tracking-quickstart@1']));
    expect(ok(dvc, ['export', 'model-card', 'model.pkl'])).toBe(ok(dvc, ['export', 'model-card', 'model.pkl']));
  });

  it('--url POSTs each event to URL/api/v1/lineage on a loopback server', async () => {
    const received: Array<{ url: string; type: string; body: any }> = [];
    const { code, stderr } = await exportTo((port) => `http://127.0.0.1:${port}`, (req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        received.push({ url: req.url ?? '', type: req.headers['content-type'] ?? '', body: JSON.parse(body) });
        res.writeHead(201).end();
      });
    });
    expect(code).toBe(0);
    const expected = ok(dvc, ['export', 'openlineage', 'model.pkl']).split('\n').map((l) => JSON.parse(l));
    expect(received.map((r) => r.url)).toEqual(expected.map(() => '/api/v1/lineage'));
    expect(received[0]!.type).toBe('application/json');
    expect(received.map((r) => r.body)).toEqual(expected);
    expect(stderr).toContain(`sent ${expected.length} OpenLineage events`);
  });

  it('credentials in --url go as Basic auth and are never printed', async () => {
    const auth: string[] = [];
    const { code, stdout, stderr } = await exportTo((port) => `http://me:s3cr3tTOKEN@127.0.0.1:${port}`, (req, res) => {
      auth.push(req.headers.authorization ?? '');
      req.resume();
      req.on('end', () => res.writeHead(400).end('bad'));
    });
    const output = stdout + stderr;
    expect(code).toBe(1);
    expect(auth).toEqual([`Basic ${Buffer.from('me:s3cr3tTOKEN').toString('base64')}`]);
    expect(output).toMatch(/^error\[E_REMOTE\]: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/lineage answered 400 /);
    expect(output).not.toContain('s3cr3tTOKEN');
  });

  it('--url keeps its query a query, and a redirect is not followed (events are not resent elsewhere)', async () => {
    const seen: string[] = [];
    const { code, stderr } = await exportTo((port) => `http://127.0.0.1:${port}/ol/?api_key=k1`, (req, res) => {
      seen.push(req.url ?? '');
      req.resume();
      req.on('end', () => (req.url?.startsWith('/elsewhere') ? res.writeHead(200).end('{}') : res.writeHead(307, { location: `/elsewhere${req.url}` }).end()));
    });
    expect(seen).toEqual(['/ol/api/v1/lineage?api_key=k1']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error\[E_REMOTE\]: http:\/\/127\.0\.0\.1:\d+\/ol\/api\/v1\/lineage answered 307 /);
    expect(stderr).not.toContain('k1');
  });

  it('a service that refuses is one E_REMOTE line', async () => {
    const { code, stderr } = await exportTo((port) => `http://127.0.0.1:${port}`, (_req, res) => res.writeHead(400).end('bad'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error\[E_REMOTE\]: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/lineage answered 400 .*\(0 of \d+ events sent\)\n$/);
  });
});

describe('export prov', () => {
  const schema = () => {
    const ajv = new AjvDraft04({ strict: false, allErrors: true });
    return ajv.compile(JSON.parse(fs.readFileSync(fixture('prov/schema/prov-json.schema.json'), 'utf8')));
  };

  it('validates against the PROV-JSON submission schema, with every relation kind the lineage has', () => {
    const validate = schema();
    expect(validate({ wasEndedBy: {} })).toBe(false); // the schema's known misspelling: it can fail
    for (const [dir, ref] of [[d, 'tracking-quickstart@1'], [d, 'sk-learn-random-forest-reg-model@2'], [dvc, 'model.pkl']] as const) {
      const doc = JSON.parse(ok(dir, ['export', 'prov', ref]));
      expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    }
    const doc = JSON.parse(ok(dvc, ['export', 'prov', 'model.pkl']));
    for (const k of ['entity', 'activity', 'agent', 'used', 'wasGeneratedBy', 'wasAssociatedWith', 'wasAttributedTo']) expect(Object.keys(doc[k] ?? {}).length, k).toBeGreaterThan(0);
    const mv = JSON.parse(ok(d, ['export', 'prov', 'sk-learn-random-forest-reg-model@2']));
    expect(Object.values(mv.wasDerivedFrom)).toContainEqual(expect.objectContaining({ 'prov:type': 'prov:Revision' }));
  });
});

describe('export model-card', () => {
  it('a Hugging Face README with front matter, model-index, Mermaid lineage, digests and reproduction', () => {
    const out = path.join(dvc, 'README.md');
    ok(dvc, ['export', 'model-card', 'model.pkl', '-o', out]);
    const text = fs.readFileSync(out, 'utf8');
    const m = /^---\n([\s\S]*?)\n---\n/.exec(text)!;
    const front = load(m[1]!) as any;
    expect(front.datasets).toContain('data/features');
    expect(front.tags).toContain('mlmeta');
    expect(text).toContain('```mermaid\ngraph TD');
    expect(text).toContain('md5 d1f6e055f7f5e2827fcfae68d9b64d4c');
    expect(text).toContain('python src/train.py data/features model.pkl');
    expect(text).toMatch(/\| train\.n_est \| 50 \|/);
    const mlflowCard = ok(d, ['export', 'model-card', 'tracking-quickstart@1']);
    const dvc2 = storeRepo();
    fs.cpSync(fixture('dvc/dvc2-get-started-experiments'), dvc2, { recursive: true });
    ok(dvc2, ['import', 'dvc']);
    const card2 = ok(dvc2, ['export', 'model-card', 'models/model.pkl']);
    const f2 = load(/^---\n([\s\S]*?)\n---\n/.exec(card2)![1]!) as any;
    expect(f2['model-index'][0].results[0].metrics).toContainEqual({ type: 'dice_multi', name: 'dice_multi', value: 0.8927054054766419 });
    expect(f2['model-index'][0].results[0].dataset.name).toBe('data/train_data');
    expect(mlflowCard).toContain('git checkout dfe686acf966d649016fe18e737cc42d5f4928c5');
  });

  it('refuses a record that is not a model', () => {
    const r = mlmeta(dvc, ['export', 'model-card', 'train']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_BAD_INPUT\]: a model card describes a model; run train@1 is a run\n$/);
  });
});

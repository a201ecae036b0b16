// Hostile and odd MLflow sources found in review: values and files a real (or malicious)
// store can hold that the fixtures do not. Each must import cleanly or be refused in one
// line, and nothing secret or injectable may reach the records or the exports.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { snapshot, tempDir, write } from '../helpers/dirs.js';
import { storeRepo } from './helpers.js';

/** A minimal mlruns tree: experiment 1 with run r1 (meta fields overridable), plus extra files. */
function mlruns(runMeta: Record<string, string> = {}, files: Record<string, string> = {}): string {
  const m = tempDir('mlmeta-hostile-');
  write(m, '1/meta.yaml', "artifact_location: file:///x\nexperiment_id: '1'\nlifecycle_stage: active\nname: exp\n");
  const meta = { artifact_uri: 'file:///x/r1', end_time: '1600000001000', experiment_id: "'1'", lifecycle_stage: 'active', run_id: 'r1', start_time: '1600000000000', status: '3', user_id: 'me', ...runMeta };
  write(m, '1/r1/meta.yaml', Object.entries(meta).map(([k, v]) => `${k}: ${v}\n`).join(''));
  write(m, '1/r1/params/a', '1');
  for (const [rel, text] of Object.entries(files)) write(m, rel, text);
  return m;
}

function objects(d: string): string {
  const dir = path.join(d, '.mlmeta/objects');
  return [...snapshot(dir).values()].map((b64) => Buffer.from(b64, 'base64').toString('utf8')).join('\n');
}

describe('import mlflow: hostile sources', () => {
  it('an end_time beyond any date is dropped, not an E_INTERNAL crash', () => {
    const d = storeRepo();
    const r = mlmeta(d, ['import', 'mlflow', mlruns({ end_time: '99999999999999999999' })]);
    expect(r.stderr).not.toContain('error[');
    expect(r.code).toBe(0);
    const text = objects(d);
    expect(text).toContain('run_id: r1');
    expect(text).not.toContain('ended:');
  });

  it('a meta.yaml that is a FIFO or a symlink to /dev/zero is refused in one line, without hanging', () => {
    for (const plant of ['fifo', 'zero']) {
      const m = mlruns();
      fs.mkdirSync(path.join(m, '1/r2'));
      const meta = path.join(m, '1/r2/meta.yaml');
      if (plant === 'fifo') execFileSync('mkfifo', [meta]);
      else fs.symlinkSync('/dev/zero', meta);
      const d = storeRepo();
      const before = snapshot(path.join(d, '.mlmeta/objects'));
      const t0 = Date.now();
      const r = mlmeta(d, ['import', 'mlflow', m]);
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe('error[E_IMPORT_SOURCE]: 1/r2/meta.yaml: is not a regular file');
      expect(snapshot(path.join(d, '.mlmeta/objects'))).toEqual(before);
    }
  }, 60_000);

  it('credentials in the source name and a registered version source are redacted', () => {
    const m = mlruns({}, {
      '1/r1/tags/mlflow.source.name': 'https://me:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/x/y',
      'models/m/meta.yaml': 'name: m\ncreation_timestamp: 1600000002000\naliases: {}\n',
      'models/m/version-1/meta.yaml': 'name: m\nversion: 1\ncreation_timestamp: 1600000002000\nrun_id: r1\nsource: https://user:hunter2secretpw@example.com/artifacts/model\ncurrent_stage: None\nstatus: READY\n',
    });
    const d = storeRepo();
    const r = mlmeta(d, ['import', 'mlflow', m]);
    expect(r.code).toBe(0);
    const text = objects(d);
    expect(text).toContain('registered_model: m');
    expect(text).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    expect(text).not.toContain('hunter2secretpw');
    expect(r.stderr).toMatch(/run r1 source name: redacted/);
    expect(r.stderr).toMatch(/model m version 1 source: redacted/);
  });

  it('a model card cannot be broken out of its shell block by a commit or a command', () => {
    const m = mlruns({}, {
      '1/r1/tags/mlflow.source.git.commit': 'abc\n```\n<script>alert(1)</script>\n```sh',
      'models/m/meta.yaml': 'name: m\ncreation_timestamp: 1600000002000\naliases: {}\n',
      'models/m/version-1/meta.yaml': 'name: m\nversion: 1\ncreation_timestamp: 1600000002000\nrun_id: r1\ncurrent_stage: None\nstatus: READY\n',
    });
    const d = storeRepo();
    ok(d, ['import', 'mlflow', m]);
    const card = ok(d, ['export', 'model-card', 'm@1']);
    const reproduce = card.slice(card.indexOf('## How to reproduce'));
    // exactly one fence opens and one closes: nothing between leaves the code block
    expect(reproduce.match(/^```/gm)).toEqual(['```', '```']);
    expect(card).not.toMatch(/^<script>/m);
  });
});

describe('import dvc: hostile and option-carrying metrics entries', () => {
  it('reads `- m.json: {cache: false}` metrics and never a file outside the project', () => {
    const top = tempDir('mlmeta-hostile-dvc-');
    write(top, 'outside.json', '{"leak": 424242}');
    const d = path.join(top, 'proj');
    fs.mkdirSync(d);
    execFileSync('git', ['init', '-q', d]);
    ok(d, ['init']);
    write(d, 'm.json', '{"acc": 0.91}');
    write(d, 'dvc.yaml', 'stages:\n  train:\n    cmd: python train.py\n    outs:\n      - out\n    metrics:\n      - ../outside.json\n      - m.json:\n          cache: false\n');
    write(d, 'dvc.lock', "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    outs:\n      - path: out\n        md5: 0123456789abcdef0123456789abcdef.dir\n        size: 1\n        nfiles: 1\n");
    const r = mlmeta(d, ['import', 'dvc']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: metrics file ../outside.json: lies outside the project; not read');
    const text = objects(d);
    expect(text).toContain('acc: 0.91');
    expect(text).not.toContain('424242');
  });
});

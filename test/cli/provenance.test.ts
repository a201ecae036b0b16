// Automatic provenance end to end: real git repos, real files, real commands.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/store/objects.js';
import { spawn } from 'node:child_process';
import { BIN, mlmeta, ok } from '../helpers/cli.js';
import { git, gitRepo, snapshot, tempDir, write } from '../helpers/dirs.js';

const TRAIN = `
const fs = require('fs');
const rows = fs.readdirSync('data').map((f) => fs.readFileSync('data/' + f, 'utf8')).join('');
fs.writeFileSync('model.bin', 'model of ' + rows.length + ' bytes');
fs.writeFileSync('metrics.json', JSON.stringify({ auc: 0.5 + rows.length / 1000 }));
console.log('trained');
`;

function project(): string {
  const repo = gitRepo();
  write(repo, 'train.js', TRAIN);
  write(repo, 'params.yaml', 'lr: 0.1\nlayers: [8, 4]\n');
  write(repo, 'data/a.csv', 'x,y\n1,2\n');
  write(repo, 'data/b.csv', 'x,y\n3,4\n');
  write(repo, '.gitignore', 'model.bin\nmetrics.json\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'project');
  ok(repo, ['init']);
  return repo;
}

const runArgs = ['run', '--model', 'churn', '--input', 'data', '--output', 'model.bin', '--params', 'params.yaml', '--metrics', 'metrics.json', '--', process.execPath, 'train.js'];

describe('mlmeta run', () => {
  it('records commit, dirty flag, data digest, params, metrics and the model hash; which and status follow', () => {
    const repo = project();
    const r = mlmeta(repo, runArgs);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^trained\n[0-9a-f]{64}\n$/);
    const modelId = r.stdout.trim().split('\n')[1]!;
    const model = JSON.parse(ok(repo, ['show', 'churn', '--kind', 'model', '--json']));
    expect(model.id).toBe(modelId);
    const rec = model.record;
    expect(rec.code).toEqual({ commit: git(repo, 'rev-parse', 'HEAD').trim(), branch: 'main', dirty: false, remote: null });
    expect(rec.params).toEqual({ lr: 0.1, layers: [8, 4] });
    expect(rec.metrics.auc).toBeCloseTo(0.516);
    const bin = fs.readFileSync(path.join(repo, 'model.bin'));
    expect(rec.artifacts).toEqual([{ path: 'model.bin', sha256: sha256Hex(bin), size: bin.length }]);
    expect(rec.env.node).toBe(process.versions.node);

    const runId = model.parents.find((p: { role: string }) => p.role === 'run').id;
    const run = JSON.parse(ok(repo, ['show', runId, '--json'])).record;
    expect(run).toMatchObject({ kind: 'run', name: 'churn-run', exit_code: 0, status: 'succeeded', command: [process.execPath, 'train.js'] });
    expect(run.duration_seconds).toBeGreaterThan(0);
    const dataId = model.parents.find((p: { role: string }) => p.role === 'data').id;
    const ds = JSON.parse(ok(repo, ['show', dataId, '--json'])).record;
    const manifestId = JSON.parse(ok(repo, ['show', dataId, '--json'])).parents.find((p: { role: string }) => p.role === 'manifest').id;
    const manifest = JSON.parse(ok(repo, ['show', manifestId, '--json'])).record;
    const a = fs.readFileSync(path.join(repo, 'data/a.csv'));
    const b = fs.readFileSync(path.join(repo, 'data/b.csv'));
    expect(manifest.files).toEqual([
      { path: 'data/a.csv', sha256: sha256Hex(a), size: a.length },
      { path: 'data/b.csv', sha256: sha256Hex(b), size: b.length },
    ]);
    // digest = sha256 of the sha256sum-style listing: checkable with coreutils
    expect(ds.digest).toBe(sha256Hex(`${sha256Hex(a)}  data/a.csv\n${sha256Hex(b)}  data/b.csv\n`));
    expect(ds).toMatchObject({ name: 'data', version: 1, file_count: 2, size: a.length + b.length, paths: ['data'] });

    const which = JSON.parse(ok(repo, ['which', 'model.bin', '--json']));
    expect(which.matches.map((m: { id: string; as: string }) => [m.id, m.as])).toEqual(expect.arrayContaining([[modelId, 'artifact'], [runId, 'output']]));
    expect(which.matches.find((m: { id: string }) => m.id === modelId).parents).toContainEqual({ role: 'data', id: dataId, label: 'dataset data@1' });

    expect(JSON.parse(ok(repo, ['status', '--json'])).datasets[0].state).toBe('clean');
    write(repo, 'data/b.csv', 'x,y\n3,5\n');
    const st = JSON.parse(ok(repo, ['status', '--json']));
    expect(st.datasets[0]).toMatchObject({ name: 'data', state: 'changed', changed: ['data/b.csv'], added: [], removed: [] });
    expect(st.models[0]).toMatchObject({ name: 'churn', state: 'stale' });
    expect(ok(repo, ['status'])).toMatch(/changed: +data\/b\.csv/);

    // Changing one data file and running again gives a new dataset version.
    const r2 = mlmeta(repo, runArgs);
    expect(r2.code).toBe(0);
    const m2 = JSON.parse(ok(repo, ['show', 'churn@2', '--kind', 'model', '--json']));
    expect(m2.parents).toContainEqual(expect.objectContaining({ role: 'data', label: 'dataset data@2' }));
    expect(m2.parents).toContainEqual({ role: 'previous', id: modelId, label: 'model churn@1' });
    expect(JSON.parse(ok(repo, ['status', '--json'])).datasets[0]).toMatchObject({ version: 2, state: 'clean' });
    expect(mlmeta(repo, ['verify']).code).toBe(0);
  });

  it('records a failing command as a failed run, no model, and passes its exit code on', () => {
    const repo = project();
    const r = mlmeta(repo, ['run', '--model', 'churn', '--', process.execPath, '-e', 'process.exit(7)']);
    expect(r.code).toBe(7);
    const run = JSON.parse(ok(repo, ['show', 'churn-run', '--json'])).record;
    expect(run).toMatchObject({ exit_code: 7, status: 'failed' });
    expect(mlmeta(repo, ['show', 'churn', '--kind', 'model']).stderr).toMatch(/E_NOT_FOUND/);
  });

  it('refuses an output the command did not write, recording nothing', () => {
    const repo = project();
    write(repo, 'old.bin', 'old');
    const before = snapshot(path.join(repo, '.mlmeta/objects'));
    for (const out of ['old.bin', 'never.bin']) {
      const r = mlmeta(repo, ['run', '--model', 'm', '--output', out, '--', 'true']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error\[E_OUTPUT\]: output .* (was not written|does not exist)/);
      expect(snapshot(path.join(repo, '.mlmeta/objects'))).toEqual(before);
    }
    // identical bytes rewritten are fine
    expect(mlmeta(repo, ['run', '--output', 'old.bin', '--', 'sh', '-c', 'rm old.bin; printf old > old.bin']).code).toBe(0);
  });

  it('fails cleanly on a missing input or a command that does not exist', () => {
    const repo = project();
    const before = snapshot(path.join(repo, '.mlmeta/objects'));
    const r = mlmeta(repo, ['run', '--input', 'nope/', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error[E_NOT_FOUND]: nope/ is neither a file or folder nor a dataset ref\n');
    const c = mlmeta(repo, ['run', '--', 'no-such-command-xyz']);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/^error\[E_COMMAND_FAILED\]: cannot start "no-such-command-xyz": command not found\n$/);
    expect(snapshot(path.join(repo, '.mlmeta/objects'))).toEqual(before);
  });
});

describe('signals', () => {
  it('passes SIGTERM on to the command once and records the outcome', async () => {
    const repo = project();
    const child = spawn(process.execPath, [BIN, 'run', '--name', 'long', '--', 'sh', '-c', 'trap "exit 42" TERM; touch started; sleep 30 >/dev/null 2>&1 & wait'], {
      cwd: repo, env: { ...process.env, MLMETA_DIR: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The command is running (its trap set, mlmeta's handlers installed when it was spawned)
    // once it has touched its marker; a fixed sleep loses this race on a loaded machine.
    for (let waited = 0; !fs.existsSync(path.join(repo, 'started')); waited += 20) {
      if (waited > 30_000) throw new Error('the command never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGTERM');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code).toBe(42);
    expect(JSON.parse(ok(repo, ['show', 'long', '--json'])).record).toMatchObject({ exit_code: 42, status: 'failed' });
  });
});

describe('datasets from files', () => {
  it('reuses the version for identical data, honours --exclude, follows file symlinks', () => {
    const repo = project();
    write(repo, 'data/skip.tmp', 'junk');
    fs.symlinkSync(path.join(repo, 'params.yaml'), path.join(repo, 'data/link.yaml'));
    const id1 = ok(repo, ['record', 'dataset', 'data', '--exclude', '*.tmp']);
    const r = mlmeta(repo, ['record', 'dataset', 'data', '--exclude', '*.tmp']);
    expect(r.stdout.trim()).toBe(id1);
    expect(r.stderr).toMatch(/unchanged: dataset data@1/);
    const files = JSON.parse(ok(repo, ['show', JSON.parse(ok(repo, ['show', id1, '--json'])).parents[0].id, '--json'])).record.files;
    expect(files.map((f: { path: string }) => f.path)).toEqual(['data/a.csv', 'data/b.csv', 'data/link.yaml']);
    expect(files[2].sha256).toBe(sha256Hex(fs.readFileSync(path.join(repo, 'params.yaml'))));
    // the tmp file now counts: a new version
    const id2 = ok(repo, ['record', 'dataset', 'data']);
    expect(id2).not.toBe(id1);
    expect(JSON.parse(ok(repo, ['show', id2, '--json'])).record.version).toBe(2);
  });

  it('refuses a broken symlink in a dataset with one line and no records', () => {
    const repo = project();
    fs.symlinkSync(path.join(repo, 'gone'), path.join(repo, 'data/broken'));
    const before = snapshot(path.join(repo, '.mlmeta/objects'));
    const r = mlmeta(repo, ['record', 'dataset', 'data']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_NOT_FOUND\]: broken symlink: data\/broken\n$/);
    expect(snapshot(path.join(repo, '.mlmeta/objects'))).toEqual(before);
  });

  it('allows data outside the project, recorded absolute and flagged', () => {
    const repo = project();
    const outside = tempDir();
    write(outside, 'x.csv', '1\n');
    const r = mlmeta(repo, ['record', 'dataset', '--name', 'ext', outside]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/outside the project/);
    const rec = JSON.parse(ok(repo, ['show', 'ext', '--json'])).record;
    expect(rec).toMatchObject({ paths: [outside], outside_project: true });
    expect(mlmeta(repo, ['record', 'dataset', outside]).stderr).toMatch(/E_BAD_INPUT.*--name/);
  });

  it('keeps a stat cache so unchanged files are not re-read', () => {
    const repo = project();
    const old = new Date(Date.now() - 60_000);
    for (const f of ['data/a.csv', 'data/b.csv']) fs.utimesSync(path.join(repo, f), old, old);
    ok(repo, ['record', 'dataset', 'data']);
    const file = path.join(repo, '.mlmeta/cache/hashes.bin');
    const cache = fs.readFileSync(file);
    // the entry: the path and the 32 bytes of the file's sha256 (once) are in it
    const sha = Buffer.from(sha256Hex(fs.readFileSync(path.join(repo, 'data/a.csv'))), 'hex');
    const at = cache.indexOf(sha);
    expect(cache.includes(Buffer.from(path.join(repo, 'data/a.csv')))).toBe(true);
    expect(at).toBeGreaterThan(0);
    expect(cache.indexOf(sha, at + 1)).toBe(-1);
    // Poison the cached hash: an unchanged file is trusted from the cache (proof it was not re-read)…
    Buffer.alloc(32, 0xff).copy(cache, at);
    fs.writeFileSync(file, cache);
    const st = JSON.parse(ok(repo, ['status', '--json']));
    expect(st.datasets[0].changed).toEqual(['data/a.csv']);
    // …and a touched file is re-hashed.
    fs.utimesSync(path.join(repo, 'data/a.csv'), new Date(), new Date());
    expect(JSON.parse(ok(repo, ['status', '--json'])).datasets[0].state).toBe('clean');
  });
});

describe('code, environment and secrets', () => {
  it('strips credentials from the origin URL and redacts secret-looking params', () => {
    const repo = project();
    git(repo, 'remote', 'add', 'origin', 'https://alice:s3cr3t-token@git.example.test/team/repo.git');
    const r = mlmeta(repo, ['record', 'model', '--name', 'm', '--param', 'api_key=abc123', '--param', 'max_tokens=5', '--env', 'DB_PASSWORD=hunter2', '--env', 'CUDA=12']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/param api_key looks like a secret/);
    const id = r.stdout.trim();
    const raw = ok(repo, ['cat', id]);
    expect(raw).not.toMatch(/s3cr3t|abc123|hunter2|alice/);
    const rec = JSON.parse(ok(repo, ['show', id, '--json'])).record;
    expect(rec.code.remote).toBe('https://git.example.test/team/repo.git');
    expect(rec.params).toEqual({ api_key: '[redacted]', max_tokens: 5 });
    expect(rec.env).toMatchObject({ DB_PASSWORD: '[redacted]', CUDA: '12', arch: process.arch });
  });

  it('records no code with --code none, and none outside git', () => {
    const repo = project();
    expect(JSON.parse(ok(repo, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none', '--json'])).record.code).toBeUndefined();
    const plain = tempDir();
    ok(plain, ['init']);
    const rec = JSON.parse(ok(plain, ['record', 'model', '--name', 'm', '--json'])).record;
    expect(rec.code).toBeUndefined();
    expect(rec.env.os).toBeDefined();
  });

  it('marks a dirty tree (modified tracked file) but not untracked ignored files', () => {
    const repo = project();
    write(repo, 'model.bin', 'ignored');
    expect(JSON.parse(ok(repo, ['record', 'model', '--name', 'm', '--json'])).record.code.dirty).toBe(false);
    write(repo, 'train.js', '// changed\n');
    const id = ok(repo, ['record', 'model', '--name', 'm']);
    expect(JSON.parse(ok(repo, ['show', id, '--json'])).record.code.dirty).toBe(true);
    expect(mlmeta(repo, ['show', id]).stderr).toMatch(/warning: made from a dirty work tree/);
    expect(ok(repo, ['log', 'm'])).toMatch(/dirty/);
    expect(ok(repo, ['verify'])).toMatch(/warning\[DIRTY_CODE\]/);
  });
});

// mlmeta reproduce against real git worktrees and a real python3 training script.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, mlmeta, ok } from '../helpers/cli.js';
import { git, gitEnv, gitRepo, snapshot, tempDir, write } from '../helpers/dirs.js';
import { objectFile } from './helpers.js';

// Reads data/ and params.yaml; NOISE adds randomness; FAIL_MARK/SLOW_MARK steer failures.
const TRAIN = `import json, os, random, sys, time
rows = sum(len(open(os.path.join('data', f)).read().split()) for f in sorted(os.listdir('data')))
lr = float(open('params.yaml').read().split('lr:')[1].split()[0])
noise = random.random() * 0.001 if os.environ.get('NOISE') else 0.0
if os.environ.get('FAIL_REPRO') and os.getcwd() != os.environ.get('FIRST_DIR'): sys.exit(3)
if os.environ.get('SLOW_MARK') and os.getcwd() != os.environ.get('FIRST_DIR'):
    open(os.environ['SLOW_MARK'], 'w').close(); time.sleep(30)
open('model.bin', 'w').write(json.dumps({'w': rows * lr + noise}))
json.dump({'auc': round(0.8 + noise, 6), 'rows': rows}, open('metrics.json', 'w'))
`;

function project(noise = false): { repo: string; model: string; tmp: string; env: Record<string, string> } {
  const repo = gitRepo();
  const tmp = tempDir('mlmeta-tmp-');
  const env = { TMPDIR: tmp, FIRST_DIR: repo, ...(noise ? { NOISE: '1' } : {}) };
  ok(repo, ['init']);
  write(repo, 'train.py', TRAIN);
  write(repo, 'params.yaml', 'lr: 0.5\n');
  write(repo, '.gitignore', 'data/\nmodel.bin\nmetrics.json\n');
  write(repo, 'data/a.csv', '1 2 3\n');
  write(repo, 'data/b.csv', '4 5\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'training code');
  const r = mlmeta(repo, ['run', '--model', 'm', '--input', 'data', '--output', 'model.bin', '--params', 'params.yaml', '--metrics', 'metrics.json', '--', 'python3', 'train.py'], env);
  if (r.code !== 0) throw new Error(r.stderr);
  git(repo, 'add', '.mlmeta');
  git(repo, 'commit', '-q', '-m', 'record m@1');
  return { repo, model: r.stdout.trim(), tmp, env };
}

/** Store an object by hand, as a collaborator (or attacker) could commit it. */
function plant(repo: string, text: string): string {
  const id = createHash('sha256').update(text).digest('hex');
  fs.mkdirSync(path.dirname(objectFile(repo, id)), { recursive: true });
  fs.writeFileSync(objectFile(repo, id), text);
  return id;
}

/** The run record behind model m, as text. */
function runText(repo: string, model: string): string {
  const rec = JSON.parse(ok(repo, ['show', model, '--json']));
  const run = ((rec.record ?? rec).parents as Array<{ role: string; id: string }>).find((p) => p.role === 'run')!.id;
  return ok(repo, ['cat', run]);
}

const worktrees = (repo: string) => git(repo, 'worktree', 'list').trim().split('\n').length;
const leftovers = (tmp: string) => fs.readdirSync(tmp).filter((n) => n.startsWith('mlmeta-'));

describe('reproduce', () => {
  it('reproduces a deterministic run bit for bit and records it; the worktree is gone', () => {
    const { repo, model, tmp, env } = project();
    const r = mlmeta(repo, ['reproduce', 'm', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.verdict).toBe('bitwise');
    expect(res.outputs).toEqual([expect.objectContaining({ path: 'model.bin', same: true })]);
    expect(res.metrics.map((m: { metric: string }) => m.metric).sort()).toEqual(['auc', 'rows']);
    const rec = JSON.parse(ok(repo, ['show', res.id, '--json']));
    const body = rec.record ?? rec;
    expect(body.kind).toBe('reproduction');
    expect(body.parents).toEqual(expect.arrayContaining([{ role: 'reproduces', id: model }, { role: 'run', id: res.run }]));
    expect(body.code.commit).toBe(res.commit);
    expect(body.verdict).toBe('bitwise');
    expect(worktrees(repo)).toBe(1);
    expect(leftovers(tmp)).toEqual([]);
    expect(git(repo, 'status', '--porcelain', '--', '.', ':!.mlmeta')).toBe('');
    // audit shows it
    expect(JSON.parse(mlmeta(repo, ['audit', 'm', '--json']).stdout).reproductions).toEqual([expect.objectContaining({ id: res.id, verdict: 'bitwise' })]);
  });

  it('a noisy run is within-tolerance with --tolerance, and differs (exit 1) without', () => {
    const { repo, env } = project(true);
    const w = mlmeta(repo, ['reproduce', 'm', '--tolerance', 'metrics.auc=0.01', '--json'], env);
    expect(w.code, w.stderr).toBe(0);
    expect(JSON.parse(w.stdout).verdict).toBe('within-tolerance');
    const rel = mlmeta(repo, ['reproduce', 'm', '--tolerance', '5%', '--json'], env);
    expect(JSON.parse(rel.stdout).verdict).toBe('within-tolerance');
    const d = mlmeta(repo, ['reproduce', 'm'], env);
    expect(d.code).toBe(1);
    expect(d.stdout).toMatch(/output  DIFFERS +model.bin/);
    expect(d.stdout).toMatch(/verdict: differs/);
  });

  it('a tampered input stops with E_DATA_CHANGED naming the file, store unchanged; --data-from finds it by content', () => {
    const { repo, tmp, env } = project();
    const backup = tempDir('mlmeta-backup-');
    fs.copyFileSync(path.join(repo, 'data/b.csv'), path.join(backup, 'renamed-copy.txt'));
    write(repo, 'data/b.csv', '4 5 6\n');
    const before = snapshot(path.join(repo, '.mlmeta', 'objects'));
    const r = mlmeta(repo, ['reproduce', 'm'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_DATA_CHANGED\]: 1 input file\(s\) missing or changed since the run: data\/b\.csv \(changed, data@1\)/);
    expect(snapshot(path.join(repo, '.mlmeta', 'objects'))).toEqual(before);
    expect(worktrees(repo)).toBe(1);
    expect(leftovers(tmp)).toEqual([]);
    const f = mlmeta(repo, ['reproduce', 'm', '--data-from', backup, '--json'], env);
    expect(f.code, f.stderr).toBe(0);
    expect(JSON.parse(f.stdout).verdict).toBe('bitwise');
    const drift = mlmeta(repo, ['reproduce', 'm', '--allow-data-drift', '--json'], env);
    expect(JSON.parse(drift.stdout).drift.data).toEqual([{ path: 'data/b.csv', dataset: 'data@1', state: 'changed' }]);
    expect(JSON.parse(drift.stdout).verdict).toBe('differs');
  });

  it('a failing command records nothing and removes the worktree', () => {
    const { repo, tmp, env } = project();
    const before = snapshot(path.join(repo, '.mlmeta', 'objects'));
    const r = mlmeta(repo, ['reproduce', 'm'], { ...env, FAIL_REPRO: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_REPRODUCE\]: the command exited 3/m);
    expect(snapshot(path.join(repo, '.mlmeta', 'objects'))).toEqual(before);
    expect(worktrees(repo)).toBe(1);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('Ctrl-C (SIGINT) during the command records nothing and removes the worktree', async () => {
    const { repo, tmp, env } = project();
    const before = snapshot(path.join(repo, '.mlmeta', 'objects'));
    const mark = path.join(tempDir(), 'started');
    const child = spawn(process.execPath, [BIN, 'reproduce', 'm'], { cwd: repo, env: { ...process.env, ...gitEnv, MLMETA_DIR: '', ...env, SLOW_MARK: mark }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => { stderr += String(b); });
    for (let i = 0; i < 300 && !fs.existsSync(mark); i++) await new Promise((r) => setTimeout(r, 100));
    const started = fs.existsSync(mark);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(started).toBe(true);
    expect(code).toBe(1);
    expect(stderr).toMatch(/error\[E_REPRODUCE\]: the command was interrupted/);
    expect(snapshot(path.join(repo, '.mlmeta', 'objects'))).toEqual(before);
    expect(worktrees(repo)).toBe(1);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('a hostile record cannot make reproduce write or hash files outside the worktree (symlinked params file, ../ output path)', () => {
    const { repo, model, tmp, env } = project();
    const outside = tempDir('mlmeta-victim-');
    const victim = path.join(outside, 'victim.txt');
    fs.writeFileSync(victim, 'precious\n');
    const victimHash = createHash('sha256').update('precious\n').digest('hex');
    // A commit whose params.yaml is a link out of the checkout, and a run record naming it.
    git(repo, 'checkout', '-q', '-b', 'evil');
    fs.rmSync(path.join(repo, 'params.yaml'));
    fs.symlinkSync(victim, path.join(repo, 'params.yaml'));
    git(repo, 'add', 'params.yaml');
    git(repo, 'commit', '-q', '-m', 'link');
    const evil = git(repo, 'rev-parse', 'HEAD').trim();
    git(repo, 'checkout', '-q', '-');
    const text = runText(repo, model)
      .replace(/commit: [0-9a-f]{40}/, `commit: ${evil}`)
      .replace('path: model.bin', `path: ${'../'.repeat(30)}${victim.slice(1)}`)
      .replace('version: 1', 'version: 9');
    const run = plant(repo, text);
    const r = mlmeta(repo, ['reproduce', run, '--json'], env);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(r.stderr).not.toMatch(/error\[/);
    const res = JSON.parse(r.stdout);
    expect(res.outputs).toEqual([expect.objectContaining({ same: false })]);
    expect(res.outputs[0].now).toBeUndefined();
    expect(fs.readFileSync(objectFile(repo, res.id), 'utf8')).not.toContain(victimHash);
    expect(worktrees(repo)).toBe(1);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('a run with no outputs and no metrics file is refused, not reported "bitwise" over nothing', () => {
    const { repo, tmp, env } = project();
    const run = ok(repo, ['run', '--name', 'noop', '--', 'python3', '-c', 'pass'], env);
    git(repo, 'add', '.mlmeta');
    git(repo, 'commit', '-q', '-m', 'noop run');
    const before = snapshot(path.join(repo, '.mlmeta', 'objects'));
    const r = mlmeta(repo, ['reproduce', run], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_REPRODUCE\]: run [0-9a-f]{12} records no outputs and no metrics file/);
    expect(r.stdout).not.toMatch(/bitwise/);
    expect(snapshot(path.join(repo, '.mlmeta', 'objects'))).toEqual(before);
    expect(worktrees(repo)).toBe(1);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('--keep keeps the worktree and says where', () => {
    const { repo, env } = project();
    const r = JSON.parse(ok(repo, ['reproduce', 'm', '--keep', '--json'], env));
    expect(fs.existsSync(path.join(r.worktree, 'model.bin'))).toBe(true);
    expect(worktrees(repo)).toBe(2);
    git(repo, 'worktree', 'remove', '--force', r.worktree);
  });
});

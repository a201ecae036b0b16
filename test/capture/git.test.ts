// Code state comes from the work tree the command runs in, covers that whole tree, and a
// failure to read it inside a work tree is never silent. Real repos, real git.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureGit, captureGitAsync, codeReading, resolveCommit, stripCredentials, type GitCaptureOptions, type GitFacts } from '../../src/capture/git.js';
import { MlmetaError } from '../../src/errors.js';
import { REDACTED } from '../../src/records/secrets.js';
import { ok } from '../helpers/cli.js';
import { git, gitEnv, gitRepo, tempDir, write } from '../helpers/dirs.js';

const both: [string, (o: GitCaptureOptions) => Promise<GitFacts>][] = [
  ['captureGit', async (o) => captureGit(o)],
  ['captureGitAsync', (o) => captureGitAsync(o)],
];

// A config of our own: the machine's (safe.directory = *, user, …) must not interfere.
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = tempDir('mlmeta-home-');
  return { ...process.env, ...gitEnv, HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: '1', ...extra };
}

/** A repo whose store lives in sub/.mlmeta, all committed. */
function monorepo(): { repo: string; sub: string; store: string } {
  const repo = gitRepo();
  write(repo, 'sub/model.py', 'x = 1\n');
  write(repo, 'sub/.mlmeta/objects/ab/cd.yaml', 'kind: model\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'sub');
  return { repo, sub: path.join(repo, 'sub'), store: path.join(repo, 'sub', '.mlmeta') };
}

describe.each(both)('%s', (_name, capture) => {
  it('dirty covers the whole work tree, not only the store folder, and leaves out the store itself', async () => {
    const { repo, sub, store } = monorepo();
    const env = cleanEnv();
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    expect((await capture({ cwd: sub, storeRoot: store, env })).code).toEqual({ commit: head, branch: 'main', dirty: false, remote: null });
    // The store's own changes (new objects) do not make the code dirty.
    write(store, 'objects/ef/01.yaml', 'kind: model\n');
    fs.appendFileSync(path.join(store, 'objects/ab/cd.yaml'), 'x: 1\n');
    expect((await capture({ cwd: sub, storeRoot: store, env })).code?.dirty).toBe(false);
    // A tracked file at the repository root, outside the store's folder, does.
    fs.appendFileSync(path.join(repo, 'train.py'), '# changed\n');
    const facts = await capture({ cwd: sub, storeRoot: store, env });
    expect(facts.code).toEqual({ commit: head, branch: 'main', dirty: true, remote: null });
    expect(facts.warnings).toEqual([]);
  });

  it('reads the work tree of cwd, not the store owner’s: another branch in a git worktree', async () => {
    const { repo, store } = monorepo();
    const wt = path.join(tempDir(), 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'feature', wt);
    write(wt, 'train.py', 'print("feature")\n');
    git(wt, 'commit', '-qam', 'feature work');
    fs.appendFileSync(path.join(wt, 'train.py'), '# dirty\n');
    const facts = await capture({ cwd: wt, storeRoot: store, env: cleanEnv() });
    expect(facts.code).toEqual({ commit: git(wt, 'rev-parse', 'HEAD').trim(), branch: 'feature', dirty: true, remote: null });
    expect(facts.code?.commit).not.toBe(git(repo, 'rev-parse', 'HEAD').trim());
  });

  it('outside any work tree: no code and no warning; --code require fails', async () => {
    const dir = tempDir();
    const facts = await capture({ cwd: dir, storeRoot: path.join(dir, '.mlmeta'), env: cleanEnv() });
    expect(facts.code).toBeUndefined();
    expect(facts.warnings).toEqual([]);
    await expect(capture({ cwd: dir, env: cleanEnv(), require: true })).rejects.toMatchObject({ code: 'E_GIT', message: `--code require: ${dir} is not in a git work tree` });
  });

  it('git missing while .git exists: a warning, or E_GIT with require', async () => {
    const repo = gitRepo();
    const env = cleanEnv({ PATH: tempDir() });
    const facts = await capture({ cwd: repo, env });
    expect(facts.code).toBeUndefined();
    expect(facts.warnings).toEqual([`cannot read the code state of ${repo} (git: git is not installed or not on the PATH); the record has no code`]);
    await expect(capture({ cwd: repo, env, require: true })).rejects.toMatchObject({ code: 'E_GIT' });
  });

  it('a broken index: a warning naming git’s message', async () => {
    const repo = gitRepo();
    fs.writeFileSync(path.join(repo, '.git', 'index'), 'garbage that is not an index');
    const facts = await capture({ cwd: repo, env: cleanEnv() });
    expect(facts.code).toBeUndefined();
    expect(facts.warnings).toHaveLength(1);
    expect(facts.warnings[0]).toMatch(/index file (corrupt|smaller than expected)/);
  });

  it('the origin URL loses userinfo and secret query parameters', async () => {
    const repo = gitRepo();
    git(repo, 'remote', 'add', 'origin', 'https://oauth2:glpat-abcdefghijklmnopqrst@gitlab.test/team/r.git?private_token=abc');
    const facts = await capture({ cwd: repo, env: cleanEnv() });
    expect(facts.code?.remote).toBe(`https://gitlab.test/team/r.git?private_token=${REDACTED}`);
  });
});

// Root in a container reading a host-owned checkout: git refuses the repository. Only root
// can hand a repository to another user, so this runs as root (as on CI).
describe.skipIf(process.getuid?.() !== 0)('a repository owned by another user (git: dubious ownership)', () => {
  function foreignRepo(): string {
    const repo = gitRepo();
    fs.appendFileSync(path.join(repo, 'train.py'), '# dirty\n');
    execFileSync('chown', ['-R', 'nobody', repo]);
    return repo;
  }

  it.each(both)('%s warns with git’s message; with require it fails with E_GIT; once trusted, it reads the state', async (_n, capture) => {
    const repo = foreignRepo();
    const env = cleanEnv();
    // The fault is real: git itself refuses this repository under this config.
    const refused = spawnSync('git', ['status'], { cwd: repo, env, encoding: 'utf8' });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('detected dubious ownership');

    const facts = await capture({ cwd: repo, storeRoot: path.join(repo, '.mlmeta'), env });
    expect(facts.code).toBeUndefined();
    expect(facts.warnings).toEqual([`cannot read the code state of ${repo} (git: detected dubious ownership in repository at '${repo}'); the record has no code`]);
    await expect(capture({ cwd: repo, env, require: true })).rejects.toMatchObject({
      code: 'E_GIT',
      message: `--code require: cannot read the code state of ${repo}: detected dubious ownership in repository at '${repo}'`,
    });

    fs.writeFileSync(path.join(env.HOME!, '.gitconfig'), `[safe]\n\tdirectory = ${repo}\n`);
    const trusted = await capture({ cwd: repo, env });
    expect(trusted.warnings).toEqual([]);
    expect(trusted.code).toMatchObject({ branch: 'main', dirty: true });
  });
});

describe('resolveCommit', () => {
  it('resolves in the given folder’s repository', () => {
    const a = gitRepo();
    const b = gitRepo();
    write(b, 'other.txt', 'b\n');
    git(b, 'add', '.');
    git(b, 'commit', '-qm', 'b2');
    expect(resolveCommit(b, 'HEAD~1')).toBe(git(b, 'rev-parse', 'HEAD~1').trim());
    expect(() => resolveCommit(a, 'HEAD~1')).toThrow(MlmetaError);
  });
});

describe('stripCredentials', () => {
  it('is redactUrl: userinfo and query tokens go', () => {
    expect(stripCredentials('https://u:TOKEN@host/p.git?private_token=abc')).toBe(`https://host/p.git?private_token=${REDACTED}`);
    expect(stripCredentials('git@github.com:o/r.git')).toBe('git@github.com:o/r.git');
  });
});

describe('record in a monorepo (CLI)', () => {
  it('code.dirty is true for a modified tracked file at the repository root, outside the store’s folder', () => {
    const repo = gitRepo();
    const sub = path.join(repo, 'sub');
    fs.mkdirSync(sub);
    ok(sub, ['init', '--store', '.mlmeta']);
    write(sub, 'model.py', 'x = 1\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'sub project');
    const clean = ok(sub, ['record', 'model', '--name', 'm', '--env', 'none']);
    expect(JSON.parse(ok(sub, ['show', clean, '--json'])).record.code.dirty).toBe(false);
    fs.appendFileSync(path.join(repo, 'train.py'), '# changed at the root\n');
    const id = ok(sub, ['record', 'model', '--name', 'm', '--env', 'none']);
    const rec = JSON.parse(ok(sub, ['show', id, '--json'])).record;
    expect(rec.code).toEqual({ commit: git(repo, 'rev-parse', 'HEAD').trim(), branch: 'main', dirty: true, remote: null });
  });
});

describe('codeReading', () => {
  it('maps --code modes to what is read', () => {
    expect(codeReading(undefined)).toEqual({ withCode: true, require: false });
    expect(codeReading('auto')).toEqual({ withCode: true, require: false });
    expect(codeReading('require')).toEqual({ withCode: true, require: true });
    expect(codeReading('none')).toEqual({ withCode: false, require: false });
    expect(codeReading('abc123')).toEqual({ withCode: false, require: false });
  });
});

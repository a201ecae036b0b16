// push/pull through refs/mlmeta/store against a real git smart-HTTP server (git
// http-backend on 127.0.0.1) and path remotes, checked with the real git client.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlmeta, ok, BIN } from '../helpers/cli.js';
import { git, gitEnv, gitRepo, snapshot, tempDir } from '../helpers/dirs.js';
import { startGitHttp, type GitHttpServer } from '../helpers/git-http.js';
import { listAllIds, sha256Hex } from '../../src/store/objects.js';
import { spawn } from 'node:child_process';

let root: string;
let server: GitHttpServer;
beforeAll(async () => {
  root = tempDir('mlmeta-remotes-');
  server = await startGitHttp(root);
});
afterAll(async () => server.close());

function bareRepo(name: string): string {
  const dir = path.join(root, name);
  git(root, 'init', '-q', '--bare', '-b', 'main', dir);
  return dir;
}

function ids(repo: string): string[] {
  return listAllIds(path.join(repo, '.mlmeta/objects'));
}

function teammate(url: string): string {
  const repo = gitRepo();
  git(repo, 'remote', 'add', 'origin', url);
  ok(repo, ['init']);
  return repo;
}

function mlmetaAsync(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...gitEnv, MLMETA_DIR: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('push and pull over HTTP', () => {
  it('pushes through isomorphic-git; plain git clones and sees the ref; pull into a fresh clone gives an identical store', () => {
    const bare = bareRepo('http1.git');
    const url = `${server.url}/http1.git`;
    const a = teammate(url);
    ok(a, ['record', 'dataset', '--name', 'd']);
    ok(a, ['record', 'model', '--name', 'm', '--data', 'd']);
    git(a, 'push', '-q', 'origin', 'main');
    const statusBefore = git(a, 'status', '--porcelain');
    const push = JSON.parse(ok(a, ['push', '--json']));
    expect(push).toMatchObject({ sent: 2, received: 0, upToDate: false });
    expect(git(a, 'status', '--porcelain')).toBe(statusBefore);
    expect(git(bare, 'rev-parse', 'refs/mlmeta/store').trim()).toBe(push.commit);
    expect(git(bare, 'rev-parse', 'refs/heads/main').trim()).toBe(git(a, 'rev-parse', 'HEAD').trim());
    git(bare, 'fsck', '--strict', '--no-progress');
    // the tree mirrors objects/ with its fan-out
    const listing = git(bare, 'ls-tree', '-r', '--name-only', 'refs/mlmeta/store').trim().split('\n').sort();
    expect(listing).toEqual(ids(a).map((id) => `${id.slice(0, 2)}/${id.slice(2)}.yaml`).sort());
    expect(JSON.parse(ok(a, ['push', '--json'])).upToDate).toBe(true);

    // a new teammate: real git clone, then mlmeta pull creates the store
    const b = tempDir();
    git(b, 'clone', '-q', url, 'repo');
    const repoB = path.join(b, 'repo');
    const pull = JSON.parse(ok(repoB, ['pull', '--json']));
    expect(pull).toMatchObject({ received: 2, remoteObjects: 2 });
    expect(ids(repoB)).toEqual(ids(a));
    for (const id of ids(a)) {
      expect(fs.readFileSync(path.join(repoB, '.mlmeta/objects', id.slice(0, 2), `${id.slice(2)}.yaml`)).equals(fs.readFileSync(path.join(a, '.mlmeta/objects', id.slice(0, 2), `${id.slice(2)}.yaml`)))).toBe(true);
    }
    expect(mlmeta(repoB, ['verify']).code).toBe(0);
    // plain git can fetch the same ref
    git(repoB, 'fetch', '-q', 'origin', 'refs/mlmeta/store:refs/mlmeta/theirs');
    expect(git(repoB, 'rev-parse', 'refs/mlmeta/theirs').trim()).toBe(push.commit);
  });

  it('two teammates on separate clones and branches end with identical stores, in any order', async () => {
    const bare = bareRepo('team.git');
    const url = `${server.url}/team.git`;
    const a = teammate(url);
    const b = teammate(url);
    git(b, 'checkout', '-qb', 'feature');
    ok(a, ['record', 'model', '--name', 'm', '--param', 'who=a']);
    ok(b, ['record', 'model', '--name', 'm', '--param', 'who=b']);
    ok(b, ['record', 'dataset', '--name', 'only-b']);
    // concurrent pushes: one wins, the other fetches, unions and pushes again
    const [ra, rb] = await Promise.all([mlmetaAsync(a, ['push', '--json']), mlmetaAsync(b, ['push', '--json'])]);
    expect([ra.code, ra.stderr, rb.code, rb.stderr]).toEqual([0, '', 0, '']);
    // Whoever came second took the other's records first: on its first look (received) or,
    // when both looked before either pushed, after its push was rejected (attempts > 1).
    const [pa, pb] = [JSON.parse(ra.stdout), JSON.parse(rb.stdout)];
    const second = pa.received > 0 ? pa : pb;
    const first = second === pa ? pb : pa;
    expect(first).toMatchObject({ received: 0, attempts: 1, upToDate: false });
    expect(second.received).toBe(first === pa ? 1 : 2); // a has one record, b two
    expect(second.sent).toBe(first === pa ? 2 : 1);
    ok(a, ['pull']);
    ok(b, ['pull']);
    expect(ids(a)).toEqual(ids(b));
    expect(ids(a)).toHaveLength(3);
    const remoteList = git(bare, 'ls-tree', '-r', '--name-only', 'refs/mlmeta/store').trim().split('\n');
    expect(remoteList).toHaveLength(3);
    git(bare, 'fsck', '--strict', '--no-progress');
    // the fork is visible and the next record joins it
    expect(mlmeta(a, ['show', 'm']).stderr).toMatch(/E_AMBIGUOUS/);
    ok(a, ['record', 'model', '--name', 'm', '--param', 'who=joined']);
    ok(a, ['push']);
    ok(b, ['pull']);
    expect(JSON.parse(ok(b, ['show', 'm', '--json'])).record.version).toBe(2);
    expect(ids(a)).toEqual(ids(b));
  });

  it('authenticates with MLMETA_TOKEN and fails cleanly without it', async () => {
    const authRoot = tempDir('mlmeta-auth-');
    git(authRoot, 'init', '-q', '--bare', '-b', 'main', path.join(authRoot, 'sec.git'));
    const secure = await startGitHttp(authRoot, { auth: { user: 'x-access-token', password: 'tok-123' } });
    try {
      const a = teammate(`${secure.url}/sec.git`);
      ok(a, ['record', 'dataset', '--name', 'd']);
      const denied = mlmeta(a, ['push'], { GIT_ASKPASS: '/bin/false', MLMETA_TOKEN: '' });
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/^error\[E_REMOTE\]: cannot reach http:\/\/127\.0\.0\.1:\d+\/sec\.git: authentication failed/);
      const r = mlmeta(a, ['push', '--json'], { MLMETA_TOKEN: 'tok-123' });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).sent).toBe(1);
      // the token is never written anywhere under the project
      const all = [...snapshot(a).values()].map((b64) => Buffer.from(b64, 'base64').toString('latin1')).join('\n');
      expect(all).not.toContain('tok-123');
    } finally {
      await secure.close();
    }
  });
});

describe('push and pull through a path remote', () => {
  it('syncs two clones through a bare repo on disk', () => {
    const bare = path.join(tempDir(), 'shared.git');
    git(path.dirname(bare), 'init', '-q', '--bare', '-b', 'main', bare);
    const a = teammate(bare);
    const b = teammate(bare);
    ok(a, ['record', 'dataset', '--name', 'd']);
    expect(JSON.parse(ok(a, ['push', '--json'])).sent).toBe(1);
    ok(b, ['record', 'model', '--name', 'm']);
    const pushB = JSON.parse(ok(b, ['push', '--json']));
    expect(pushB).toMatchObject({ received: 1, sent: 1 });
    expect(JSON.parse(ok(a, ['pull', '--json'])).received).toBe(1);
    expect(ids(a)).toEqual(ids(b));
    git(bare, 'fsck', '--strict', '--no-progress');
    // the push commit has the previous local and remote tips as parents
    const parents = git(bare, 'rev-list', '--parents', '-n', '1', 'refs/mlmeta/store').trim().split(' ');
    expect(parents.length).toBeGreaterThanOrEqual(2);
  });
});

describe('failures leave the local store untouched', () => {
  it('a dead remote: one clean line', () => {
    const a = teammate('http://127.0.0.1:9/nothing.git');
    ok(a, ['record', 'dataset', '--name', 'd']);
    const before = snapshot(path.join(a, '.mlmeta/objects'));
    for (const cmd of ['push', 'pull']) {
      const r = mlmeta(a, [cmd]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error\[E_REMOTE\]: cannot reach http:\/\/127\.0\.0\.1:9\/nothing\.git: /);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(snapshot(path.join(a, '.mlmeta/objects'))).toEqual(before);
    const missing = mlmeta(a, ['push', 'nosuchremote']);
    expect(missing.stderr).toMatch(/^error\[E_NOT_FOUND\]: no git remote named nosuchremote/);
  });

  it('a remote whose ref holds a corrupt object: refused and named, nothing written', () => {
    const bare = bareRepo('corrupt.git');
    // Build a store commit by hand with plain git: one honest object, one whose bytes lie.
    const work = gitRepo();
    const good = 'mlmeta: 1\nkind: dataset\nname: d\nversion: 1\ncreated: x\n';
    const goodId = sha256Hex(good);
    const liarId = sha256Hex('something else');
    fs.mkdirSync(path.join(work, 'store', goodId.slice(0, 2)), { recursive: true });
    fs.mkdirSync(path.join(work, 'store', liarId.slice(0, 2)), { recursive: true });
    fs.writeFileSync(path.join(work, 'store', goodId.slice(0, 2), `${goodId.slice(2)}.yaml`), good);
    fs.writeFileSync(path.join(work, 'store', liarId.slice(0, 2), `${liarId.slice(2)}.yaml`), 'mlmeta: 1\nkind: dataset\nname: evil\nversion: 1\ncreated: x\n');
    git(work, 'add', 'store');
    const tree = git(work, 'write-tree').trim();
    const storeTree = git(work, 'rev-parse', `${tree}:store`).trim();
    const commit = git(work, 'commit-tree', storeTree, '-m', 'hostile').trim();
    git(work, 'push', '-q', `${server.url}/corrupt.git`, `${commit}:refs/mlmeta/store`);
    const victim = teammate(`${server.url}/corrupt.git`);
    const before = snapshot(path.join(victim, '.mlmeta/objects'));
    const r = mlmeta(victim, ['pull']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error[E_CORRUPT_OBJECT]: the remote's object ${liarId} is corrupt (its bytes hash to ${sha256Hex('mlmeta: 1\nkind: dataset\nname: evil\nversion: 1\ncreated: x\n')}); nothing was pulled\n`);
    expect(snapshot(path.join(victim, '.mlmeta/objects'))).toEqual(before);
    expect(git(bare, 'rev-parse', 'refs/mlmeta/store').trim()).toBe(commit); // the ref itself is untouched
  });
});

describe('clone', () => {
  it('clones code and lineage in one step', () => {
    bareRepo('cl.git');
    const url = `${server.url}/cl.git`;
    const a = teammate(url);
    const id = ok(a, ['record', 'model', '--name', 'm']);
    git(a, 'push', '-q', 'origin', 'main');
    ok(a, ['push']);
    const into = tempDir();
    const r = mlmeta(into, ['clone', url, 'copy']);
    expect(r.code).toBe(0);
    const dir = path.join(into, 'copy');
    expect(fs.existsSync(path.join(dir, 'train.py'))).toBe(true);
    expect(JSON.parse(ok(dir, ['show', 'm', '--json'])).id).toBe(id);
  });
});

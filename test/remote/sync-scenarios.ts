// The HTTP push/pull scenarios, run once with git on the PATH (sync.test.ts) and once with
// a PATH that holds only node (no-git.test.ts: isomorphic-git carries HTTP in process), bulk
// pushes and the refusal to send a corrupt object included. The tests' own setup (bare repos,
// clones, fsck) always uses the real git client.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, generateRecords, mlmeta, ok } from '../helpers/cli.js';
import { git, gitEnv, gitRepo, snapshot, tempDir } from '../helpers/dirs.js';
import { startGitHttp, type GitHttpServer } from '../helpers/git-http.js';
import { listAllIds, objectPath, sha256Hex } from '../../src/store/objects.js';

export function ids(repo: string): string[] {
  return listAllIds(path.join(repo, '.mlmeta/objects'));
}

/** The scenarios, with `env` added to every mlmeta process (e.g. a PATH without git). */
export function httpSyncScenarios(label: string, env: Record<string, string>): void {
  let root: string;
  let server: GitHttpServer;
  beforeAll(async () => {
    root = tempDir('mlmeta-remotes-');
    server = await startGitHttp(root);
  });
  afterAll(async () => server.close());

  const cli = (cwd: string, args: string[], extra: Record<string, string> = {}) => mlmeta(cwd, args, { ...env, ...extra });
  const run = (cwd: string, args: string[], extra: Record<string, string> = {}) => ok(cwd, args, { ...env, ...extra });
  const cliAsync = (cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const p = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...gitEnv, MLMETA_DIR: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => { stdout += d; });
      p.stderr.on('data', (d) => { stderr += d; });
      p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });

  /** A bare repo under the server's root; its HEAD is born when `withMain` (isomorphic-git cannot fetch from an unborn HEAD). */
  function bareRepo(name: string, withMain = false): string {
    const dir = path.join(root, name);
    git(root, 'init', '-q', '--bare', '-b', 'main', dir);
    if (withMain) git(gitRepo(), 'push', '-q', dir, 'main');
    return dir;
  }

  function teammate(url: string): string {
    const repo = gitRepo();
    git(repo, 'remote', 'add', 'origin', url);
    run(repo, ['init']);
    return repo;
  }

  describe(`push and pull over HTTP (${label})`, () => {
    it('pushes; plain git clones and sees the ref; pull into a fresh clone gives an identical store', () => {
      const bare = bareRepo('http1.git');
      const url = `${server.url}/http1.git`;
      const a = teammate(url);
      run(a, ['record', 'dataset', '--name', 'd']);
      run(a, ['record', 'model', '--name', 'm', '--data', 'd']);
      git(a, 'push', '-q', 'origin', 'main');
      const statusBefore = git(a, 'status', '--porcelain');
      const push = JSON.parse(run(a, ['push', '--json']));
      expect(push).toMatchObject({ sent: 2, received: 0, upToDate: false });
      expect(git(a, 'status', '--porcelain')).toBe(statusBefore);
      expect(git(bare, 'rev-parse', 'refs/mlmeta/store').trim()).toBe(push.commit);
      expect(git(bare, 'rev-parse', 'refs/heads/main').trim()).toBe(git(a, 'rev-parse', 'HEAD').trim());
      git(bare, 'fsck', '--strict', '--no-progress');
      // the tree mirrors objects/ with its fan-out
      const listing = git(bare, 'ls-tree', '-r', '--name-only', 'refs/mlmeta/store').trim().split('\n').sort();
      expect(listing).toEqual(ids(a).map((id) => `${id.slice(0, 2)}/${id.slice(2)}.yaml`).sort());
      expect(JSON.parse(run(a, ['push', '--json'])).upToDate).toBe(true);

      // a new teammate: real git clone, then mlmeta pull creates the store
      const b = tempDir();
      git(b, 'clone', '-q', url, 'repo');
      const repoB = path.join(b, 'repo');
      const pull = JSON.parse(run(repoB, ['pull', '--json']));
      expect(pull).toMatchObject({ received: 2, remoteObjects: 2 });
      expect(ids(repoB)).toEqual(ids(a));
      for (const id of ids(a)) {
        expect(fs.readFileSync(path.join(repoB, '.mlmeta/objects', id.slice(0, 2), `${id.slice(2)}.yaml`)).equals(fs.readFileSync(path.join(a, '.mlmeta/objects', id.slice(0, 2), `${id.slice(2)}.yaml`)))).toBe(true);
      }
      expect(cli(repoB, ['verify']).code).toBe(0);
      // plain git can fetch the same ref
      git(repoB, 'fetch', '-q', 'origin', 'refs/mlmeta/store:refs/mlmeta/theirs');
      expect(git(repoB, 'rev-parse', 'refs/mlmeta/theirs').trim()).toBe(push.commit);
    });

    it('two teammates on separate clones and branches end with identical stores, in any order', async () => {
      const bare = bareRepo('team.git', true);
      const url = `${server.url}/team.git`;
      const a = teammate(url);
      const b = teammate(url);
      git(b, 'checkout', '-qb', 'feature');
      run(a, ['record', 'model', '--name', 'm', '--param', 'who=a']);
      run(b, ['record', 'model', '--name', 'm', '--param', 'who=b']);
      run(b, ['record', 'dataset', '--name', 'only-b']);
      // concurrent pushes: one wins, the other fetches, unions and pushes again
      const [ra, rb] = await Promise.all([cliAsync(a, ['push', '--json']), cliAsync(b, ['push', '--json'])]);
      expect([ra.code, ra.stderr, rb.code, rb.stderr]).toEqual([0, '', 0, '']);
      // Whoever came second took the other's records first: on its first look (received) or,
      // when both looked before either pushed, after its push was rejected (attempts > 1).
      const [pa, pb] = [JSON.parse(ra.stdout), JSON.parse(rb.stdout)];
      const second = pa.received > 0 ? pa : pb;
      const first = second === pa ? pb : pa;
      expect(first).toMatchObject({ received: 0, attempts: 1, upToDate: false });
      expect(second.received).toBe(first === pa ? 1 : 2); // a has one record, b two
      expect(second.sent).toBe(first === pa ? 2 : 1);
      run(a, ['pull']);
      run(b, ['pull']);
      expect(ids(a)).toEqual(ids(b));
      expect(ids(a)).toHaveLength(3);
      const remoteList = git(bare, 'ls-tree', '-r', '--name-only', 'refs/mlmeta/store').trim().split('\n');
      expect(remoteList).toHaveLength(3);
      git(bare, 'fsck', '--strict', '--no-progress');
      // the fork is visible and the next record joins it
      expect(cli(a, ['show', 'm']).stderr).toMatch(/E_AMBIGUOUS/);
      run(a, ['record', 'model', '--name', 'm', '--param', 'who=joined']);
      run(a, ['push']);
      run(b, ['pull']);
      expect(JSON.parse(run(b, ['show', 'm', '--json'])).record.version).toBe(2);
      expect(ids(a)).toEqual(ids(b));
    }, 180_000); // some twenty CLI runs and two concurrent pushes: slow on a loaded CI machine

    it('authenticates with MLMETA_TOKEN and fails cleanly without it', async () => {
      const authRoot = tempDir('mlmeta-auth-');
      git(authRoot, 'init', '-q', '--bare', '-b', 'main', path.join(authRoot, 'sec.git'));
      const secure = await startGitHttp(authRoot, { auth: { user: 'x-access-token', password: 'tok-123' } });
      try {
        const a = teammate(`${secure.url}/sec.git`);
        run(a, ['record', 'dataset', '--name', 'd']);
        const denied = cli(a, ['push'], { GIT_ASKPASS: '/bin/false', MLMETA_TOKEN: '' });
        expect(denied.code).toBe(1);
        expect(denied.stderr).toMatch(/^error\[E_REMOTE\]: cannot reach http:\/\/127\.0\.0\.1:\d+\/sec\.git: authentication failed/);
        const r = cli(a, ['push', '--json'], { MLMETA_TOKEN: 'tok-123' });
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

  describe(`failures leave the local store untouched (${label})`, () => {
    it('a dead remote: one clean line', () => {
      const a = teammate('http://127.0.0.1:9/nothing.git');
      run(a, ['record', 'dataset', '--name', 'd']);
      const before = snapshot(path.join(a, '.mlmeta/objects'));
      for (const cmd of ['push', 'pull']) {
        const r = cli(a, [cmd]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^error\[E_REMOTE\]: cannot reach http:\/\/127\.0\.0\.1:9\/nothing\.git: /);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
      }
      expect(snapshot(path.join(a, '.mlmeta/objects'))).toEqual(before);
      const missing = cli(a, ['push', 'nosuchremote']);
      expect(missing.stderr).toMatch(/^error\[E_NOT_FOUND\]: no git remote named nosuchremote/);
    });

    it('a remote whose ref holds a corrupt object: refused and named, nothing written', () => {
      const bare = bareRepo('corrupt.git', true);
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
      const r = cli(victim, ['pull']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`error[E_CORRUPT_OBJECT]: the remote's object ${liarId} is corrupt (its bytes hash to ${sha256Hex('mlmeta: 1\nkind: dataset\nname: evil\nversion: 1\ncreated: x\n')}); nothing was pulled\n`);
      expect(snapshot(path.join(victim, '.mlmeta/objects'))).toEqual(before);
      expect(git(bare, 'rev-parse', 'refs/mlmeta/store').trim()).toBe(commit); // the ref itself is untouched
    });

    it('a remote tree naming one blob twice (its true name and a false one): refused, nothing written', () => {
      bareRepo('twice.git', true);
      const work = gitRepo();
      const body = 'mlmeta: 1\nkind: dataset\nname: d\nversion: 1\ncreated: x\n';
      const trueId = sha256Hex(body);
      // a false name that sorts before the true one: a reader that checks a blob once, by its
      // last name, would write it under the false name
      let k = 0;
      while (sha256Hex(`another record ${k}`) > trueId) k++;
      const falseId = sha256Hex(`another record ${k}`);
      for (const id of [falseId, trueId]) {
        fs.mkdirSync(path.join(work, 'store', id.slice(0, 2)), { recursive: true });
        fs.writeFileSync(path.join(work, 'store', id.slice(0, 2), `${id.slice(2)}.yaml`), body);
      }
      git(work, 'add', 'store');
      const tree = git(work, 'write-tree').trim();
      const commit = git(work, 'commit-tree', git(work, 'rev-parse', `${tree}:store`).trim(), '-m', 'hostile').trim();
      git(work, 'push', '-q', `${server.url}/twice.git`, `${commit}:refs/mlmeta/store`);
      const victim = teammate(`${server.url}/twice.git`);
      const before = snapshot(path.join(victim, '.mlmeta/objects'));
      const r = cli(victim, ['pull']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`error[E_CORRUPT_OBJECT]: the remote's object ${falseId} is corrupt (its bytes hash to ${trueId}); nothing was pulled\n`);
      expect(snapshot(path.join(victim, '.mlmeta/objects'))).toEqual(before);
    });

    // more new objects than go loose (PACK_FROM): with git they go through fast-import; without, loose
    it('many records at once: pushed, then pulled into a fresh clone, identical', () => {
      const bare = bareRepo('many.git', true);
      const url = `${server.url}/many.git`;
      const a = teammate(url);
      generateRecords(a, 150);
      run(a, ['push']);
      git(bare, 'fsck', '--strict', '--no-progress');
      const b = teammate(url);
      expect(JSON.parse(run(b, ['pull', '--json'])).received).toBe(150);
      expect(ids(b)).toEqual(ids(a));
      run(b, ['verify']);
    });

    it('a corrupt local object is never sent: the push stops, the remote and the store are unchanged', () => {
      const bare = bareRepo('never.git', true);
      const a = teammate(`${server.url}/never.git`);
      generateRecords(a, 100);
      const victim = ids(a)[70]!;
      const file = objectPath(path.join(a, '.mlmeta/objects'), victim);
      fs.chmodSync(file, 0o644);
      fs.appendFileSync(file, '# changed\n');
      const before = snapshot(path.join(a, '.mlmeta/objects'));
      const r = cli(a, ['push']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^error\\[E_CORRUPT_OBJECT\\]: object ${victim} is corrupt`));
      expect(snapshot(path.join(a, '.mlmeta/objects'))).toEqual(before);
      expect(git(bare, 'for-each-ref', 'refs/mlmeta').trim()).toBe('');
    });
  });
}

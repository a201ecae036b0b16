// Sync under the conditions that broke it: a checkout that removes objects, credentials in
// the remote URL, a very long remote path, a push cut off mid-transfer, a remote that moves
// during a push, a held sync lock, `clone` inside another project, a store used from
// another repository. Real git repos, the real git smart-HTTP server, the built CLI.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, mlmeta, ok } from '../helpers/cli.js';
import { git, gitEnv, gitRepo, snapshot, tempDir } from '../helpers/dirs.js';
import { startGitHttp, type GitHttpServer } from '../helpers/git-http.js';
import { hasObject, listAllIds } from '../../src/store/objects.js';
import { writerTag } from '../../src/store/writer.js';

let root: string;
let server: GitHttpServer;
beforeAll(async () => {
  root = tempDir('mlmeta-remote-trust-');
  server = await startGitHttp(root);
});
afterAll(async () => server.close());

/** A bare repo served over HTTP (and reachable as a path); its HEAD is born when `withMain`. */
function bare(name: string, withMain = false): { dir: string; http: string } {
  const dir = path.join(root, name);
  git(root, 'init', '-q', '--bare', '-b', 'main', dir);
  if (withMain) git(gitRepo(), 'push', '-q', dir, 'main');
  return { dir, http: `${server.url}/${name}` };
}

const objects = (repo: string) => path.join(repo, '.mlmeta/objects');
const ids = (repo: string) => listAllIds(objects(repo));
const remoteIds = (bareDir: string) =>
  git(bareDir, 'ls-tree', '-r', '--name-only', 'refs/mlmeta/store').trim().split('\n').filter(Boolean).map((p) => p.replace('/', '').replace('.yaml', '')).sort();

/** A project whose store (one record, `base`) is committed to git, with `origin` set. */
function project(url: string): string {
  const repo = gitRepo();
  git(repo, 'remote', 'add', 'origin', url);
  ok(repo, ['init']);
  ok(repo, ['record', 'model', '--name', 'base']);
  git(repo, 'add', '.mlmeta');
  git(repo, 'commit', '-q', '-m', 'store');
  return repo;
}

const pushJson = (repo: string, args: string[] = [], env: Record<string, string> = {}) => JSON.parse(ok(repo, ['push', '--json', ...args], env));
const pullJson = (repo: string, args: string[] = [], env: Record<string, string> = {}) => JSON.parse(ok(repo, ['pull', '--json', ...args], env));

describe.each(['path', 'http'] as const)('a checkout that removes objects (%s remote)', (kind) => {
  it('pull restores what the checkout removed; push keeps every record the remote had', () => {
    const remote = bare(`checkout-${kind}.git`, true);
    const url = kind === 'http' ? remote.http : remote.dir;
    const a = project(url);
    git(a, 'checkout', '-q', '-b', 'feature');
    const m = ok(a, ['record', 'model', '--name', 'm']);
    git(a, 'add', '-A');
    git(a, 'commit', '-q', '-m', 'record m');
    expect(pushJson(a).sent).toBe(2);
    git(a, 'checkout', '-q', 'main');
    expect(hasObject(objects(a), m)).toBe(false); // the checkout really removed it

    const pull = pullJson(a);
    expect(pull).toMatchObject({ received: 1, remoteObjects: 2 });
    expect(hasObject(objects(a), m)).toBe(true);

    // gone again (as after another checkout); a new record is pushed without a pull first
    git(a, 'clean', '-qfd', '.mlmeta/objects');
    expect(hasObject(objects(a), m)).toBe(false);
    const n = ok(a, ['record', 'model', '--name', 'n']);
    expect(pushJson(a)).toMatchObject({ sent: 1, upToDate: false });
    expect(remoteIds(remote.dir)).toEqual(ids(a));
    expect(ids(a)).toHaveLength(3);
    git(remote.dir, 'fsck', '--strict', '--no-progress');

    const fresh = path.join(tempDir(), 'fresh');
    git(root, 'clone', '-q', url, fresh);
    expect(pullJson(fresh).received).toBe(3);
    expect(ids(fresh)).toEqual(ids(a));
    expect(ids(fresh)).toEqual(expect.arrayContaining([m, n]));
    expect(mlmeta(fresh, ['verify']).code).toBe(0);
  });

  it('a remote tip that lost a record (an old client) gets it back from our previous push', () => {
    const remote = bare(`lost-${kind}.git`, true);
    const url = kind === 'http' ? remote.http : remote.dir;
    const a = project(url);
    git(a, 'checkout', '-q', '-b', 'feature');
    const m = ok(a, ['record', 'model', '--name', 'm']);
    git(a, 'add', '-A');
    git(a, 'commit', '-q', '-m', 'record m');
    const first = pushJson(a).commit;
    // Someone replaces the remote's tree with one that lacks m (as the old push did).
    const empty = git(remote.dir, 'mktree').trim();
    const lossy = git(remote.dir, 'commit-tree', empty, '-p', first, '-m', 'lossy').trim();
    git(remote.dir, 'update-ref', 'refs/mlmeta/store', lossy);
    git(a, 'checkout', '-q', 'main');
    expect(hasObject(objects(a), m)).toBe(false);
    const n = ok(a, ['record', 'model', '--name', 'n']);
    pushJson(a);
    expect(remoteIds(remote.dir)).toEqual(expect.arrayContaining([m, n]));
    expect(remoteIds(remote.dir)).toHaveLength(3);
    expect(pullJson(a).received).toBe(1);
    expect(hasObject(objects(a), m)).toBe(true);
  });
});

/** Every file name and every file's bytes under `dir`, as one string. */
function everything(dir: string): string {
  return [...snapshot(dir)].map(([name, b64]) => `${name}\n${Buffer.from(b64, 'base64').toString('latin1')}`).join('\n');
}

describe('credentials in the remote URL', () => {
  it('push and pull with http://oauth2:TOKEN@… work and leave the token nowhere under .mlmeta/', async () => {
    const TOKEN = `glpat-${Math.random().toString(36).slice(2)}Secret`;
    const authRoot = tempDir('mlmeta-token-');
    const secure = await startGitHttp(authRoot, { auth: { user: 'oauth2', password: TOKEN } });
    try {
      // one remote whose HEAD is born (isomorphic-git fetches) and one whose HEAD is unborn (git fetches)
      for (const [name, withMain] of [['born.git', true], ['unborn.git', false]] as const) {
        const dir = path.join(authRoot, name);
        git(authRoot, 'init', '-q', '--bare', '-b', 'main', dir);
        if (withMain) git(gitRepo(), 'push', '-q', dir, 'main');
        const url = `${secure.url.replace('http://', `http://oauth2:${TOKEN}@`)}/${name}`;
        const a = project(`${secure.url}/${name}`);
        const b = project(`${secure.url}/${name}`);
        const env = { MLMETA_TOKEN: '', GIT_ASKPASS: '/bin/false' };
        ok(a, ['record', 'model', '--name', 'm']);
        const pushA = mlmeta(a, ['push', url, '--json'], env);
        expect(pushA.code).toBe(0);
        expect(JSON.parse(pushA.stdout)).toMatchObject({ sent: 2, remote: `${secure.url}/${name}` }); // m and the base record
        const pullB = mlmeta(b, ['pull', url, '--json'], env);
        expect(pullB.code).toBe(0);
        expect(JSON.parse(pullB.stdout).received).toBe(2);
        ok(b, ['record', 'model', '--name', 'n']);
        const pushB = mlmeta(b, ['push', url], env);
        expect(pushB.code).toBe(0);
        expect(remoteIds(dir)).toEqual(ids(b));
        expect(ids(b)).toHaveLength(4);
        for (const r of [pushA, pullB, pushB]) expect(r.stdout + r.stderr).not.toContain(TOKEN);
        for (const repo of [a, b]) {
          expect(fs.existsSync(path.join(repo, '.mlmeta/cache/sync.git'))).toBe(true);
          expect(everything(path.join(repo, '.mlmeta'))).not.toContain(TOKEN);
        }
        // without the token in the URL the same remote refuses: the URL's credentials were used
        const denied = mlmeta(b, ['pull', `${secure.url}/${name}`], env);
        expect(denied.stderr).toMatch(/^error\[E_REMOTE\]: cannot reach .*authentication failed/);
      }
    } finally {
      await secure.close();
    }
  }, 180_000); // two remotes, push+pull+push each over authenticated HTTP: ~20 s on an idle machine

  it('messages show the remote without user info or secret query values', () => {
    const a = project(`http://oauth2:hunter2@127.0.0.1:9/x.git?private_token=abc123&ref=main`);
    const r = mlmeta(a, ['pull']);
    expect(r.stderr).toMatch(/^error\[E_REMOTE\]: cannot reach http:\/\/127\.0\.0\.1:9\/x\.git\?private_token=\[redacted\]&ref=main: /);
    expect(r.stderr).not.toMatch(/hunter2|abc123/);
  });
});

describe('a remote path over 250 characters', () => {
  it('push and pull work (the remote-tracking ref is named by a hash)', () => {
    const deep = path.join(tempDir(), 'a'.repeat(120), 'b'.repeat(120), `${'c'.repeat(40)}.git`);
    expect(deep.length).toBeGreaterThan(250);
    fs.mkdirSync(path.dirname(deep), { recursive: true });
    git(root, 'init', '-q', '--bare', '-b', 'main', deep);
    const a = project(deep);
    const b = project(deep);
    const m = ok(a, ['record', 'model', '--name', 'm']);
    expect(pushJson(a).sent).toBe(2);
    expect(pullJson(b).received).toBe(2);
    expect(ids(b)).toEqual(expect.arrayContaining(ids(a)));
    expect(ids(b)).toContain(m);
    const refs = fs.readdirSync(path.join(b, '.mlmeta/cache/sync.git/refs/mlmeta/remotes'));
    expect(refs).toEqual([expect.stringMatching(/^[0-9a-f]{40}$/)]);
  });
});

describe('push cut off mid-transfer', () => {
  it('fails with E_REMOTE, leaves both sides as they were, and the retry completes', async () => {
    const cutRoot = tempDir('mlmeta-cut-');
    const remoteDir = path.join(cutRoot, 'r.git');
    git(cutRoot, 'init', '-q', '--bare', '-b', 'main', remoteDir);
    git(gitRepo(), 'push', '-q', remoteDir, 'main');
    const cutting = await startGitHttp(cutRoot, { cutAfterBytes: 600 });
    try {
      const a = project(`${cutting.url}/r.git`);
      // incompressible records, so the pack is far longer than the cut
      for (let i = 0; i < 20; i++) ok(a, ['record', 'model', '--name', `m${i}`, '--param', `pad=${randomBytes(100).toString('hex')}`]);
      const before = snapshot(objects(a));
      const cut = mlmeta(a, ['push']);
      expect(await cutting.stats()).toEqual({ cuts: 1, cutAt: 600 });
      expect(cut.code).toBe(1);
      expect(cut.stderr).toMatch(/^error\[E_REMOTE\]: [^\n]+\n$/);
      expect(git(remoteDir, 'for-each-ref', 'refs/mlmeta')).toBe('');
      expect(snapshot(objects(a))).toEqual(before);
      expect(mlmeta(a, ['verify']).code).toBe(0);
      git(remoteDir, 'fsck', '--strict', '--no-progress');

      const again = pushJson(a);
      expect(again).toMatchObject({ sent: 21, upToDate: false }); // 20 and the project's base record
      expect(await cutting.stats()).toEqual({ cuts: 1, cutAt: 600 });
      expect(remoteIds(remoteDir)).toEqual(ids(a));
      git(remoteDir, 'fsck', '--strict', '--no-progress');
    } finally {
      await cutting.close();
    }
  }, 180_000);
});

describe.each(['path', 'http'] as const)('the remote moves during a push (%s remote)', (kind) => {
  it('the push is rejected once, unions what arrived and pushes again', () => {
    const remote = bare(`moving-${kind}.git`, true);
    const url = kind === 'http' ? remote.http : remote.dir;
    const a = project(url);
    const c = project(url);
    const b = project(url);
    const ma = ok(a, ['record', 'model', '--name', 'a']);
    const t1 = pushJson(a).commit;
    const mc = ok(c, ['record', 'model', '--name', 'c']);
    const t2 = pushJson(c).commit;
    git(remote.dir, 'update-ref', 'refs/mlmeta/store', t1, t2);
    // When B's push arrives, the ref moves to T2 just before it is updated: a lost race.
    const hook = path.join(remote.dir, 'hooks', 'update');
    fs.writeFileSync(hook, `#!/bin/sh\nif [ ! -e "${remote.dir}/raced" ]; then touch "${remote.dir}/raced"; git --git-dir="${remote.dir}" update-ref refs/mlmeta/store ${t2}; fi\nexit 0\n`, { mode: 0o755 });
    const mb = ok(b, ['record', 'model', '--name', 'b']);
    const res = pushJson(b);
    expect(fs.existsSync(path.join(remote.dir, 'raced'))).toBe(true);
    // received: a's two records (first look), then c's two (after the lost race); sent: b's two
    expect(res).toMatchObject({ attempts: 2, received: 4, sent: 2, upToDate: false });
    expect(remoteIds(remote.dir)).toEqual(ids(b));
    expect(ids(b)).toEqual(expect.arrayContaining([ma, mb, mc]));
    expect(ids(b)).toHaveLength(6);
    expect(git(remote.dir, 'rev-list', '--parents', '-n', '1', 'refs/mlmeta/store')).toContain(t2);
    git(remote.dir, 'fsck', '--strict', '--no-progress');
  });
});

describe('the sync lock', () => {
  it('a push waits while another process holds .mlmeta/cache/locks/sync.lock (O_EXCL file)', async () => {
    const remote = bare('locked.git');
    const a = project(remote.dir);
    ok(a, ['record', 'model', '--name', 'm']);
    const lock = path.join(a, '.mlmeta/cache/locks/sync.lock');
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, `${writerTag()} ${process.pid} ${Date.now()}\n`); // held by this live process
    const p = spawn(process.execPath, [BIN, 'push'], { cwd: a, env: { ...process.env, ...gitEnv, MLMETA_DIR: '' }, stdio: 'ignore' });
    const exit = new Promise<number>((resolve) => p.on('close', (code) => resolve(code ?? -1)));
    await new Promise((r) => setTimeout(r, 1500));
    const whileHeld = { running: p.exitCode === null, ref: git(remote.dir, 'for-each-ref', 'refs/mlmeta') };
    fs.unlinkSync(lock);
    const code = await exit;
    expect(whileHeld).toEqual({ running: true, ref: '' });
    expect(code).toBe(0);
    expect(remoteIds(remote.dir)).toEqual(ids(a));
    expect(fs.existsSync(lock)).toBe(false);
  });
});

describe('clone inside another project', () => {
  it("pulls into the new repository's own store; the parent's store is untouched", () => {
    // the parent: its own store, and an origin holding a record the parent does not have yet
    const parentOrigin = bare('parent-origin.git', true);
    const parent = project(parentOrigin.dir);
    const other = project(parentOrigin.dir);
    const notPulled = ok(other, ['record', 'model', '--name', 'parent-only']);
    pushJson(other);
    ok(parent, ['record', 'model', '--name', 'parent-own']);
    // the child: lineage only on refs/mlmeta/store, no store committed
    const childOrigin = bare('child-origin.git');
    const author = gitRepo();
    git(author, 'remote', 'add', 'origin', childOrigin.dir);
    ok(author, ['init']);
    const childRecord = ok(author, ['record', 'model', '--name', 'child-m']);
    git(author, 'push', '-q', 'origin', 'main');
    pushJson(author);
    expect(git(author, 'ls-files', '.mlmeta')).toBe('');

    const before = snapshot(path.join(parent, '.mlmeta'));
    const r = mlmeta(parent, ['clone', childOrigin.dir, 'child', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ received: 1 });
    const child = path.join(parent, 'child');
    expect(ids(child)).toEqual([childRecord]);
    expect(snapshot(path.join(parent, '.mlmeta'))).toEqual(before);
    expect(hasObject(objects(parent), notPulled)).toBe(false);
  });
});

describe('remotes are looked up where the command runs', () => {
  it('with MLMETA_DIR naming another repository\'s store, push uses the current repository\'s origin', () => {
    const owners = bare('owner.git');
    const heres = bare('here.git');
    const owner = project(owners.dir);
    ok(owner, ['record', 'model', '--name', 'm']);
    const here = gitRepo();
    git(here, 'remote', 'add', 'origin', heres.dir);
    const env = { MLMETA_DIR: path.join(owner, '.mlmeta') };
    expect(JSON.parse(ok(here, ['push', '--json'], env)).sent).toBe(2);
    expect(remoteIds(heres.dir)).toEqual(ids(owner));
    expect(git(owners.dir, 'for-each-ref', 'refs/mlmeta')).toBe('');
  });

  it('a relative remote path is relative to the current folder', () => {
    const shared = bare('relative.git');
    const a = project(shared.dir);
    ok(a, ['record', 'model', '--name', 'm']);
    fs.mkdirSync(path.join(a, 'sub'));
    const rel = path.relative(path.join(a, 'sub'), shared.dir);
    expect(JSON.parse(ok(path.join(a, 'sub'), ['push', rel, '--json'])).sent).toBe(2);
    expect(remoteIds(shared.dir)).toEqual(ids(a));
  });
});

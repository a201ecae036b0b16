// Sync defects an adversarial review reproduced after the trust fixes: a folder named like a
// remote (with a hook planted in it), records of one remote leaking into a push to another,
// non-file tree entries and non-records on a remote, scp-like remotes without a user, and
// `clone` writing the URL's credentials into the new repository's config.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { git, gitRepo, snapshot, tempDir } from '../helpers/dirs.js';
import { startGitHttp, type GitHttpServer } from '../helpers/git-http.js';
import { listAllIds, sha256Hex } from '../../src/store/objects.js';

let root: string;
let server: GitHttpServer;
beforeAll(async () => {
  root = tempDir('mlmeta-remote-review-');
  server = await startGitHttp(root);
});
afterAll(async () => server.close());

function bare(name: string): string {
  const dir = path.join(root, name);
  git(root, 'init', '-q', '--bare', '-b', 'main', dir);
  git(gitRepo(), 'push', '-q', dir, 'main');
  return dir;
}

function project(): string {
  const repo = gitRepo();
  ok(repo, ['init']);
  return repo;
}

const remoteIds = (bareDir: string) =>
  git(bareDir, 'ls-tree', '-r', '--name-only', 'refs/mlmeta/store').trim().split('\n').filter(Boolean).map((p) => p.replace('/', '').replace('.yaml', '')).sort();

describe('a folder named like the remote', () => {
  it('never takes the place of the configured remote, and its hooks never run', () => {
    const real = bare('real.git');
    const repo = project();
    git(repo, 'remote', 'add', 'origin', real);
    // a bare repository committed as the folder `origin`, with a hook
    const planted = path.join(repo, 'origin');
    git(repo, 'init', '-q', '--bare', planted);
    const marker = path.join(tempDir(), 'PWNED');
    fs.writeFileSync(path.join(planted, 'hooks', 'pre-receive'), `#!/bin/sh\ntouch "${marker}"\n`, { mode: 0o755 });
    const m = ok(repo, ['record', 'model', '--name', 'm']);
    const res = JSON.parse(ok(repo, ['push', '--json']));
    expect(res.remote).toBe(real);
    expect(fs.existsSync(marker)).toBe(false);
    expect(remoteIds(real)).toContain(m);
    expect(git(planted, 'for-each-ref')).toBe('');
  });
});

describe('two remotes', () => {
  it('a push to one never carries records that were only pushed to the other', () => {
    const internal = bare('internal.git');
    const pub = bare('public.git');
    const repo = project();
    git(repo, 'add', '.mlmeta');
    git(repo, 'commit', '-q', '-m', 'store');
    git(repo, 'checkout', '-q', '-b', 'private');
    const secret = ok(repo, ['record', 'model', '--name', 'secret-model']);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'private work');
    ok(repo, ['push', internal]);
    git(repo, 'checkout', '-q', 'main');
    expect(listAllIds(path.join(repo, '.mlmeta/objects'))).not.toContain(secret); // gone from disk
    const open = ok(repo, ['record', 'model', '--name', 'public-model']);
    ok(repo, ['push', pub]);
    expect(remoteIds(pub)).toContain(open);
    expect(remoteIds(pub)).not.toContain(secret);
    // and no commit of the internal push is in the public ref's history
    const internalTip = git(internal, 'rev-parse', 'refs/mlmeta/store').trim();
    expect(git(pub, 'rev-list', 'refs/mlmeta/store')).not.toContain(internalTip);
    // the internal remote keeps what it had on the next push there
    ok(repo, ['push', internal]);
    expect(remoteIds(internal)).toEqual(expect.arrayContaining([secret, open]));
  });
});

describe('odd entries in the remote tree', () => {
  /** Put extra entries into fan-out folder `ab` of the remote's store tree. */
  function plantEntries(remote: string, entries: string[]): void {
    const tip = git(remote, 'rev-parse', 'refs/mlmeta/store').trim();
    const rootTree = git(remote, 'ls-tree', tip).trim().split('\n').filter((l) => !l.endsWith('\tab'));
    const sub = rootTree.length === git(remote, 'ls-tree', tip).trim().split('\n').length ? '' : git(remote, 'ls-tree', `${tip}:ab`).trim();
    const subTree = execGit(remote, ['mktree', '--missing'], [sub, ...entries].filter(Boolean).join('\n') + '\n').trim();
    const newRoot = execGit(remote, ['mktree'], [...rootTree, `040000 tree ${subTree}\tab`].join('\n') + '\n').trim();
    const commit = git(remote, 'commit-tree', newRoot, '-p', tip, '-m', 'planted').trim();
    git(remote, 'update-ref', 'refs/mlmeta/store', commit);
  }
  const execGit = (cwd: string, args: string[], input: string): string => execFileSync('git', args, { cwd, input, encoding: 'utf8' });

  it('a submodule or symlink entry, or an object that is not a record, does not stop pull or push', () => {
    const remote = bare('odd.git');
    const a = project();
    const m = ok(a, ['record', 'model', '--name', 'm']);
    ok(a, ['push', remote]);
    // a blob named by its own hash that is not a record, a gitlink and a symlink
    const junk = '\u001b]0;PWNED\u0007 garbage: [unclosed\n';
    const junkId = sha256Hex(junk);
    const blob = execGit(remote, ['hash-object', '-w', '--stdin'], junk).trim();
    const commit = git(remote, 'rev-parse', 'refs/mlmeta/store').trim();
    plantEntries(remote, [
      `160000 commit ${commit}\t${'b'.repeat(62)}.yaml`,
      `120000 blob ${blob}\t${'c'.repeat(62)}.yaml`,
    ]);
    // the junk record under its true name, in its own fan-out folder
    const tip = git(remote, 'rev-parse', 'refs/mlmeta/store').trim();
    const rootTree = git(remote, 'ls-tree', tip).trim().split('\n');
    const fan = junkId.slice(0, 2);
    // merged into that folder when the real record already lives there (1 time in 256)
    const had = rootTree.some((l) => l.endsWith(`\t${fan}`)) ? git(remote, 'ls-tree', `${tip}:${fan}`).trim() + '\n' : '';
    const sub = execGit(remote, ['mktree'], `${had}100644 blob ${blob}\t${junkId.slice(2)}.yaml\n`).trim();
    const newRoot = execGit(remote, ['mktree'], [...rootTree.filter((l) => !l.endsWith(`\t${fan}`)), `040000 tree ${sub}\t${fan}`].join('\n') + '\n').trim();
    git(remote, 'update-ref', 'refs/mlmeta/store', git(remote, 'commit-tree', newRoot, '-p', tip, '-m', 'junk').trim());

    const b = project();
    const pull = mlmeta(b, ['pull', remote]);
    expect(pull.code).toBe(0);
    expect(pull.stderr).toContain(`warning: the remote's object ${junkId} is not a valid record; not pulled`);
    // only the real record came: not the junk, not the gitlink, not the symlink
    expect(listAllIds(path.join(b, '.mlmeta/objects'))).toEqual([m]);
    expect(mlmeta(b, ['verify']).code).toBe(0);
    ok(b, ['record', 'model', '--name', 'n']);
    expect(mlmeta(b, ['push', remote]).code).toBe(0);
  });
});

describe('remote addresses', () => {
  it('host:path (scp-like, no user) is a remote, not a local path', () => {
    const repo = project();
    git(repo, 'remote', 'add', 'origin', 'nosuchhost.invalid:team/repo.git');
    const r = mlmeta(repo, ['pull'], { GIT_SSH_COMMAND: 'false' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_REMOTE\]: cannot reach nosuchhost\.invalid:team\/repo\.git/);
    expect(r.stderr).not.toContain(repo);
  });

  it('clone keeps the URL\'s credentials out of the new repository and its store', () => {
    const remote = bare('cloned.git');
    const a = project();
    const m = ok(a, ['record', 'model', '--name', 'm']);
    ok(a, ['push', remote]);
    const parent = tempDir();
    const url = `${server.url.replace('http://', 'http://oauth2:s3cr3tTOKEN@')}/cloned.git`;
    const res = JSON.parse(ok(parent, ['clone', url, 'c', '--json']));
    const dir = path.join(parent, 'c');
    expect(res.dir).toBe(dir);
    expect(listAllIds(path.join(dir, '.mlmeta/objects'))).toContain(m);
    const everything = [...snapshot(path.join(dir, '.git')).values(), ...snapshot(path.join(dir, '.mlmeta')).values()]
      .map((b) => Buffer.from(b, 'base64').toString('latin1')).join('\n');
    expect(everything).not.toContain('s3cr3tTOKEN');
    expect(git(dir, 'config', '--get', 'remote.origin.url').trim()).toBe(`${server.url}/cloned.git`);
  });
});

// Review 9: the cache folder is documented as safe to delete, but deleting only the sync
// repository left the tree cache vouching for subtrees it no longer held: every later push to
// a remote that lacked those objects failed ("bad tree object").
describe('the sync repository deleted, its tree cache kept', () => {
  it('the next push to a new remote sends every record', () => {
    const first = bare('first.git');
    const second = bare('second.git');
    const repo = project();
    const ids = ['a', 'b', 'c'].map((n) => ok(repo, ['record', 'model', '--name', n, '--code', 'none', '--env', 'none']));
    ok(repo, ['push', first]);
    const cache = path.join(repo, '.mlmeta/cache');
    expect(fs.existsSync(path.join(cache, 'sync-trees-v2.json'))).toBe(true);
    fs.rmSync(path.join(cache, 'sync.git'), { recursive: true });
    ok(repo, ['push', second]);
    expect(remoteIds(second)).toEqual([...ids].sort());
  });
});

// Review 9: a push the server refused (a hook) was reported as a race, tried 5 times, and the
// server's reason was lost.
describe('a remote whose hook refuses the push', () => {
  it("says so once, with the server's reason", () => {
    const remote = bare('hooked.git');
    const hook = path.join(remote, 'hooks', 'pre-receive');
    // its words name a race ("non-fast-forward"): git's own status of the ref decides (review 9b)
    fs.writeFileSync(hook, '#!/bin/sh\necho x >> "$GIT_DIR/tries"\necho "refs/mlmeta/* are not allowed here, non-fast-forward or not" >&2\nexit 1\n', { mode: 0o755 });
    const repo = project();
    ok(repo, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none']);
    const r = mlmeta(repo, ['push', remote]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_REMOTE\]: .*hooked\.git refused the push \(pre-receive hook declined\): refs\/mlmeta\/\* are not allowed here, non-fast-forward or not\n$/);
    expect(fs.readFileSync(path.join(remote, 'tries'), 'utf8')).toBe('x\n'); // one attempt, not five
  });
});

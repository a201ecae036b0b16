// push/pull through refs/mlmeta/store against a real git smart-HTTP server (git
// http-backend on 127.0.0.1) and path remotes, checked with the real git client. The HTTP
// scenarios live in sync-scenarios.ts (no-git.test.ts runs them again without git).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { git, gitRepo, tempDir } from '../helpers/dirs.js';
import { startGitHttp, type GitHttpServer } from '../helpers/git-http.js';
import { httpSyncScenarios, ids } from './sync-scenarios.js';

httpSyncScenarios('git binary', {});

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

function teammate(url: string): string {
  const repo = gitRepo();
  git(repo, 'remote', 'add', 'origin', url);
  ok(repo, ['init']);
  return repo;
}

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

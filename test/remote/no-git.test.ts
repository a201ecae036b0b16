// A machine without a git binary (a slim container): the HTTP sync scenarios run again with
// a PATH that holds only node, so push, pull, auth and the refusals go through
// isomorphic-git in process. Other remote kinds need git and say so in one line.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { git, gitRepo, snapshot, tempDir } from '../helpers/dirs.js';
import { httpSyncScenarios } from './sync-scenarios.js';

const nodeOnly = tempDir('mlmeta-node-only-');
fs.symlinkSync(process.execPath, path.join(nodeOnly, 'node'));
const env = { PATH: nodeOnly };

describe('the PATH without git', () => {
  it('really has no git on it', () => {
    const r = spawnSync('git', ['--version'], { env: { PATH: nodeOnly } });
    expect((r.error as NodeJS.ErrnoException | undefined)?.code).toBe('ENOENT');
  });

  it('a path remote needs git: one line, store unchanged', () => {
    const bare = path.join(tempDir(), 'shared.git');
    git(path.dirname(bare), 'init', '-q', '--bare', '-b', 'main', bare);
    const a = gitRepo();
    git(a, 'remote', 'add', 'origin', bare);
    ok(a, ['init']);
    ok(a, ['record', 'dataset', '--name', 'd']);
    const before = snapshot(path.join(a, '.mlmeta/objects'));
    const r = mlmeta(a, ['push'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error[E_GIT]: remote ${bare} needs the git binary, which is not installed (HTTP(S) remotes work without it)\n`);
    expect(snapshot(path.join(a, '.mlmeta/objects'))).toEqual(before);
    expect(git(bare, 'for-each-ref')).toBe('');
  });
});

httpSyncScenarios('no git binary', env);

describe('isomorphic-git did the fetching', () => {
  it('its fetch leaves its remote section in the sync repository config (git would not)', async () => {
    const { startGitHttp } = await import('../helpers/git-http.js');
    const root = tempDir('mlmeta-iso-');
    const bare = path.join(root, 'i.git');
    git(root, 'init', '-q', '--bare', '-b', 'main', bare);
    git(gitRepo(), 'push', '-q', bare, 'main');
    const server = await startGitHttp(root);
    try {
      const [a, b] = [gitRepo(), gitRepo()];
      for (const repo of [a, b]) {
        git(repo, 'remote', 'add', 'origin', `${server.url}/i.git`);
        ok(repo, ['init']);
      }
      ok(a, ['record', 'model', '--name', 'm']);
      ok(a, ['push'], env);
      expect(JSON.parse(ok(b, ['pull', '--json'], env)).received).toBe(1);
      expect(fs.readFileSync(path.join(b, '.mlmeta/cache/sync.git/config'), 'utf8')).toContain('[remote "mlmeta"]');
    } finally {
      await server.close();
    }
  });
});

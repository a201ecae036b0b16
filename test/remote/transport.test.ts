// The git binary carries HTTP(S) when it is installed: credentials from the URL reach the
// server (as a header through GIT_CONFIG_* variables) and land nowhere on disk or in output.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { git, gitRepo, snapshot, tempDir } from '../helpers/dirs.js';
import { startGitHttp } from '../helpers/git-http.js';

const everything = (dir: string) => [...snapshot(dir).values()].map((b64) => Buffer.from(b64, 'base64').toString('latin1')).join('\n');

describe('HTTP through the git binary', () => {
  it('a token in the URL works, and is in no file of .git/ or .mlmeta/, no FETCH_HEAD, no message', async () => {
    const TOKEN = `tok${Math.random().toString(36).slice(2)}Secret`;
    const WRONG = `wrong${Math.random().toString(36).slice(2)}Secret`;
    const root = tempDir('mlmeta-transport-');
    git(root, 'init', '-q', '--bare', '-b', 'main', path.join(root, 's.git'));
    const server = await startGitHttp(root, { auth: { user: 'oauth2', password: TOKEN } });
    try {
      const withToken = `${server.url.replace('http://', `http://oauth2:${TOKEN}@`)}/s.git`;
      const env = { MLMETA_TOKEN: '', GIT_ASKPASS: '/bin/false', GIT_TRACE: '', GIT_CURL_VERBOSE: '' };
      const a = gitRepo();
      const b = gitRepo();
      for (const repo of [a, b]) ok(repo, ['init']);
      const id = ok(a, ['record', 'model', '--name', 'm']);
      const push = mlmeta(a, ['push', withToken, '--json'], env);
      expect(push.code).toBe(0);
      expect(JSON.parse(push.stdout)).toMatchObject({ sent: 1, remote: `${server.url}/s.git` });
      const pull = mlmeta(b, ['pull', withToken, '--json'], env);
      expect(pull.code).toBe(0);
      expect(JSON.parse(pull.stdout).received).toBe(1);
      expect(ok(b, ['show', 'm', '--json'])).toContain(id);
      // git fetched (its refspec's ref is there) without writing FETCH_HEAD, and no remote went into the config
      const sync = path.join(b, '.mlmeta/cache/sync.git');
      expect(fs.readFileSync(path.join(sync, 'refs/mlmeta/fetched'), 'utf8').trim()).toBe(JSON.parse(push.stdout).commit);
      expect(fs.existsSync(path.join(sync, 'FETCH_HEAD'))).toBe(false);
      expect(fs.readFileSync(path.join(sync, 'config'), 'utf8')).not.toMatch(/\[remote|url\s*=/);
      const denied = mlmeta(b, ['pull', withToken.replace(TOKEN, WRONG)], env);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toBe(`error[E_REMOTE]: cannot reach ${server.url}/s.git: authentication failed; set MLMETA_TOKEN or a git credential helper\n`);
      for (const r of [push, pull, denied]) expect(r.stdout + r.stderr).not.toMatch(new RegExp(`${TOKEN}|${WRONG}`));
      for (const repo of [a, b]) {
        expect(everything(path.join(repo, '.git'))).not.toMatch(new RegExp(`${TOKEN}|${WRONG}`));
        expect(everything(path.join(repo, '.mlmeta'))).not.toMatch(new RegExp(`${TOKEN}|${WRONG}`));
      }
    } finally {
      await server.close();
    }
  });
});

describe('a remote URL that git would read as an option', () => {
  it('is refused before git runs: one line, nothing executed, store unchanged', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    ok(repo, ['record', 'dataset', '--name', 'd']);
    // no '/' before the ':': not a local path (which would be made absolute), an scp-like address
    git(repo, 'config', 'remote.origin.url', '--upload-pack=touch pwned:x');
    const before = snapshot(path.join(repo, '.mlmeta/objects'));
    for (const cmd of ['push', 'pull']) {
      const r = mlmeta(repo, [cmd]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('error[E_USAGE]: not a remote: --upload-pack=touch pwned:x\n');
    }
    expect(fs.existsSync(path.join(repo, 'pwned'))).toBe(false);
    expect(snapshot(path.join(repo, '.mlmeta/objects'))).toEqual(before);
  });
});

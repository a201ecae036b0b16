// Throw-away folders and real git repositories for tests (cf. changesets' testdir/gitdir).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) {
    // Objects are read-only; make them writable so the folder can go.
    try { execFileSync('chmod', ['-R', 'u+w', d]); } catch { /* gone already */ }
    fs.rmSync(d, { recursive: true, force: true });
  }
});

export function tempDir(prefix = 'mlmeta-test-'): string {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  made.push(d);
  return d;
}

export const gitEnv = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.test',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.test',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...gitEnv } });
}

/** A new git repo with one commit, user configured. */
export function gitRepo(): string {
  const d = tempDir('mlmeta-repo-');
  git(d, 'init', '-q', '-b', 'main');
  git(d, 'config', 'user.name', 'Test Author');
  git(d, 'config', 'user.email', 'author@example.test');
  fs.writeFileSync(path.join(d, 'train.py'), 'print("training")\n');
  git(d, 'add', '.');
  git(d, 'commit', '-q', '-m', 'initial');
  return d;
}

/** A fresh bare repository (a remote to push to and pull from); its path. */
export function bareRemote(): string {
  const dir = path.join(tempDir(), 'remote.git');
  git(path.dirname(dir), 'init', '-q', '--bare', '-b', 'main', dir);
  return dir;
}

export function write(dir: string, rel: string, content: string | Buffer): string {
  const f = path.join(dir, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, content);
  return f;
}

/** Every file under a folder with its bytes, for "the store is unchanged" checks. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p).toString('base64'));
    }
  };
  walk(dir);
  return out;
}


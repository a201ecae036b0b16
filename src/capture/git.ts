// Code state at record time, read through the `git` binary: two processes, run at once where
// the caller can wait (isomorphic-git costs ~70 ms just to import and walks the whole tree
// in JS for status; `npm run bench` measures both on a 10k-file repo). Outside git, or
// without git installed, code is simply absent.
import { execFile, execFileSync } from 'node:child_process';
import { MlmetaError } from '../errors.js';
import type { CodeState } from '../records/record.js';
import { STORE_DIRNAME } from '../store/location.js';

export interface GitFacts {
  code?: CodeState;
  userName?: string;
  userEmail?: string;
}

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024 });
  } catch {
    return undefined;
  }
}

/** Remove credentials from a remote URL: `https://user:tok@host/x` → `https://host/x`. */
export function stripCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    // scp-like `git@host:path` carries no secret; anything else unparseable is dropped to
    // its host-less tail rather than risk keeping a token.
    return /^[\w.-]+@[\w.-]+:/.test(url) || !url.includes('@') ? url : url.slice(url.lastIndexOf('@') + 1);
  }
}

// The config values records need (author, origin URL) and the work tree's state, each in one process.
const CONFIG_ARGS = ['config', '--get-regexp', '^(user\\.(name|email)|remote\\.origin\\.url)$'];
const STATUS_ARGS = ['status', '--porcelain=v2', '--branch', '--untracked-files=normal', '--', '.', `:(exclude)${STORE_DIRNAME}`];

function gitAsync(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/**
 * Code state from `git status --porcelain=v2 --branch`: HEAD commit, branch, dirty (tracked
 * changes, staged changes or untracked files not ignored, all outside `.mlmeta/`), plus the
 * origin URL from the config.
 */
function factsFrom(configOut: string | undefined, statusOut: string | undefined, withCode: boolean): GitFacts {
  const config = new Map<string, string>();
  for (const line of (configOut ?? '').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) config.set(line.slice(0, sp), line.slice(sp + 1));
  }
  const facts: GitFacts = { userName: config.get('user.name'), userEmail: config.get('user.email') };
  if (!withCode || statusOut === undefined) return facts;
  const code: CodeState = {};
  let dirty = false;
  for (const line of statusOut.split('\n')) {
    if (line.startsWith('# branch.oid ')) {
      const oid = line.slice('# branch.oid '.length);
      if (/^[0-9a-f]{40,64}$/.test(oid)) code.commit = oid;
    } else if (line.startsWith('# branch.head ')) {
      const head = line.slice('# branch.head '.length);
      code.branch = head === '(detached)' ? null : head;
    } else if (line !== '' && !line.startsWith('#')) {
      dirty = true;
    }
  }
  code.dirty = dirty;
  const remote = config.get('remote.origin.url');
  code.remote = remote ? stripCredentials(remote) : null;
  facts.code = code;
  return facts;
}

/** Code state and author of the work tree at `root`, synchronously (two git processes in turn). */
export function captureGit(root: string, withCode = true, needAuthor = true): GitFacts {
  if (!withCode && !needAuthor) return {};
  return factsFrom(git(root, CONFIG_ARGS), withCode ? git(root, STATUS_ARGS) : undefined, withCode);
}

/** The same, with the two git processes running at once. */
export async function captureGitAsync(root: string, withCode = true, needAuthor = true): Promise<GitFacts> {
  if (!withCode && !needAuthor) return {};
  const [configOut, statusOut] = await Promise.all([gitAsync(root, CONFIG_ARGS), withCode ? gitAsync(root, STATUS_ARGS) : Promise.resolve(undefined)]);
  return factsFrom(configOut, statusOut, withCode);
}

/** Resolve a user-given commit (`--code COMMIT`) to its full id. */
export function resolveCommit(root: string, rev: string): string {
  if (rev.startsWith('-')) throw new MlmetaError('E_BAD_INPUT', `bad commit ${JSON.stringify(rev)}`);
  const out = git(root, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  if (out) return out.trim();
  if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(rev)) return rev;
  throw new MlmetaError('E_GIT', `cannot resolve commit ${JSON.stringify(rev)} in ${root}`);
}

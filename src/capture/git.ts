// Code state at record time, read through the `git` binary: two processes, run at once where
// the caller can wait (isomorphic-git costs ~70 ms just to import and walks the whole tree
// in JS for status; `npm run bench` measures both on a 10k-file repo).
//
// The state is that of the work tree the command runs in (the caller's working folder),
// which need not be the store's: `MLMETA_DIR` may name another repo's store, and a `git
// worktree` shares a store-less checkout of another branch. `dirty` covers that whole work
// tree, like `commit` does, leaving out only the store's own folder when it lies inside.
//
// Outside any git work tree there is simply no code. Inside one (a `.git` above the
// folder), failing to read the state is never silent: a warning naming git's message, or
// E_GIT when the caller requires the code state (`--code require`).
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import type { CodeState } from '../records/record.js';
import { redactString, redactUrl } from '../records/secrets.js';
import { findGitRoot } from '../store/location.js';
import { relativeInside } from '../store/paths.js';

export interface GitFacts {
  code?: CodeState;
  userName?: string;
  userEmail?: string;
  /** why the code state is missing although the folder is in a git work tree */
  warnings: string[];
}

export interface GitCaptureOptions {
  /** the folder whose work tree is read: the command's working folder */
  cwd: string;
  /** the store's `.mlmeta` folder: changes inside it do not make the tree dirty */
  storeRoot?: string;
  /** read commit, branch, dirty and origin (default true) */
  withCode?: boolean;
  /** read user.name and user.email (default true) */
  needAuthor?: boolean;
  /** E_GIT instead of a warning when the code state cannot be read (`--code require`) */
  require?: boolean;
  /** the environment git runs with (default process.env) */
  env?: NodeJS.ProcessEnv;
}

/**
 * How a `--code MODE` reads git: `auto` reads the work tree and warns when it cannot,
 * `require` fails instead (E_GIT); `none` and a commit read no state. (A branch named
 * `require` is still reachable as `refs/heads/require`.)
 */
export function codeReading(mode: string | undefined): { withCode: boolean; require: boolean } {
  const m = mode ?? 'auto';
  return { withCode: m === 'auto' || m === 'require', require: m === 'require' };
}

// `quiet`: failed without a word on stderr (`git config --get-regexp` finding nothing).
type GitResult = { ok: true; out: string } | { ok: false; status: number | null; message: string; quiet: boolean };

const MAX_BUFFER = 256 * 1024 * 1024;

function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** git's own words for a failure: its `fatal:` line if any, else its first line; no control characters, no secrets. */
function gitMessage(stderr: string, errno?: string): string {
  if (errno === 'ENOENT') return 'git is not installed or not on the PATH';
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = lines.find((l) => l.startsWith('fatal:')) ?? lines[0] ?? (errno ? `git failed: ${errno}` : 'git failed');
  const clean = printable(line.replace(/^(fatal|error):\s*/, ''));
  return redactString(clean) ?? clean;
}

function gitSync(cwd: string, args: string[], env: NodeJS.ProcessEnv): GitResult {
  const r = spawnSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: MAX_BUFFER });
  if (!r.error && r.status === 0) return { ok: true, out: r.stdout };
  const errno = (r.error as NodeJS.ErrnoException | undefined)?.code;
  return { ok: false, status: r.status, message: gitMessage(r.stderr ?? '', errno), quiet: !errno && !r.stderr?.trim() };
}

function gitAsync(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env, encoding: 'utf8', maxBuffer: MAX_BUFFER }, (err, stdout, stderr) => {
      if (!err) resolve({ ok: true, out: stdout });
      else {
        const code = (err as NodeJS.ErrnoException).code as unknown;
        const errno = typeof code === 'string' ? code : undefined;
        resolve({ ok: false, status: typeof code === 'number' ? code : null, message: gitMessage(stderr ?? '', errno), quiet: !errno && !stderr?.trim() });
      }
    });
  });
}

/** Remove credentials from a remote URL: userinfo and secret query parameters (see redactUrl). */
export function stripCredentials(url: string): string {
  return redactUrl(url);
}

// The config values records need (author, origin URL) and the work tree's state, each in one process.
const CONFIG_ARGS = ['config', '--get-regexp', '^(user\\.(name|email)|remote\\.origin\\.url)$'];

function realpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

interface Plan {
  /** the work-tree root above cwd, if any */
  top?: string;
  shownTop?: string;
  statusArgs: string[];
}

function plan(opts: GitCaptureOptions): Plan {
  const found = findGitRoot(opts.cwd);
  const top = found === undefined ? undefined : realpath(found);
  // The whole work tree (`:/`), as `commit` is the whole repository's HEAD; the store's
  // folder is left out wherever it is in that tree (literal: its name is not a glob).
  const statusArgs = ['status', '--porcelain=v2', '--branch', '--untracked-files=normal', '--', ':/'];
  const rel = top !== undefined && opts.storeRoot !== undefined ? relativeInside(top, realpath(opts.storeRoot)) : undefined;
  if (rel) statusArgs.push(`:(top,exclude,literal)${rel.split(path.sep).join('/')}`);
  return { top, shownTop: top === undefined ? undefined : printable(top), statusArgs };
}

/**
 * Code state from `git status --porcelain=v2 --branch`: HEAD commit, branch, dirty (tracked
 * changes, staged changes or untracked files not ignored, anywhere outside the store's
 * folder), plus the origin URL from the config.
 */
function factsFrom(opts: GitCaptureOptions, where: Plan, config: GitResult | undefined, status: GitResult | undefined): GitFacts {
  const facts: GitFacts = { warnings: [] };
  const problems: string[] = [];
  const settings = new Map<string, string>();
  // `git config --get-regexp` exits 1, silently, when nothing matches.
  if (config?.ok) {
    for (const line of config.out.split('\n')) {
      const sp = line.indexOf(' ');
      if (sp > 0) settings.set(line.slice(0, sp), line.slice(sp + 1));
    }
  } else if (config && !(config.status === 1 && config.quiet)) {
    problems.push(config.message);
  }
  facts.userName = settings.get('user.name');
  facts.userEmail = settings.get('user.email');
  if (opts.withCode === false) return facts;

  if (status?.ok) {
    const code: CodeState = {};
    let dirty = false;
    for (const line of status.out.split('\n')) {
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
    const remote = settings.get('remote.origin.url');
    code.remote = remote ? stripCredentials(remote) : null;
    if (opts.require && code.commit === undefined) throw new MlmetaError('E_GIT', `--code require: the repository at ${where.shownTop ?? printable(opts.cwd)} has no commit yet`);
    facts.code = code;
    return facts;
  }
  if (status) problems.unshift(status.message);
  if (opts.require) {
    const why = where.top === undefined ? `${printable(opts.cwd)} is not in a git work tree` : `cannot read the code state of ${where.shownTop}: ${problems[0]}`;
    throw new MlmetaError('E_GIT', `--code require: ${why}`);
  }
  // Outside any work tree no code is expected; inside one, say why it is missing.
  if (where.top !== undefined) {
    // git then reads only the user's global config: the repository's own user.name is unseen.
    const author = facts.userName !== undefined ? ', and its author comes from your global git config only' : '';
    for (const p of new Set(problems)) facts.warnings.push(`cannot read the code state of ${where.shownTop} (git: ${p}); the record has no code${author}`);
  }
  return facts;
}

/** Code state and author of the work tree at `cwd`, synchronously (two git processes in turn). */
export function captureGit(opts: GitCaptureOptions): GitFacts {
  const code = opts.withCode !== false || opts.require === true;
  if (!code && opts.needAuthor === false) return { warnings: [] };
  const env = opts.env ?? process.env;
  const where = plan(opts);
  const config = gitSync(opts.cwd, CONFIG_ARGS, env);
  return factsFrom({ ...opts, withCode: code }, where, config, code ? gitSync(opts.cwd, where.statusArgs, env) : undefined);
}

/** The same, with the two git processes running at once. */
export async function captureGitAsync(opts: GitCaptureOptions): Promise<GitFacts> {
  const code = opts.withCode !== false || opts.require === true;
  if (!code && opts.needAuthor === false) return { warnings: [] };
  const env = opts.env ?? process.env;
  const where = plan(opts);
  const [config, status] = await Promise.all([gitAsync(opts.cwd, CONFIG_ARGS, env), code ? gitAsync(opts.cwd, where.statusArgs, env) : Promise.resolve(undefined)]);
  return factsFrom({ ...opts, withCode: code }, where, config, status);
}

/** Resolve a user-given commit (`--code COMMIT`) to its full id, in the work tree at `cwd`. */
export function resolveCommit(cwd: string, rev: string, env: NodeJS.ProcessEnv = process.env): string {
  if (rev.startsWith('-')) throw new MlmetaError('E_BAD_INPUT', `bad commit ${JSON.stringify(rev)}`);
  const r = gitSync(cwd, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], env);
  if (r.ok && r.out.trim()) return r.out.trim();
  if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(rev)) return rev;
  throw new MlmetaError('E_GIT', `cannot resolve commit ${JSON.stringify(rev)} in ${cwd}`);
}

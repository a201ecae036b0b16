// Moving `refs/mlmeta/store` between the sync repository and a remote.
// HTTP(S): isomorphic-git (loaded only here), auth from MLMETA_TOKEN, the URL, or git's
// credential helper; never written to disk by us. Paths, ssh and anything else: the `git`
// binary, with a clear error when it is not installed.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { isomorphicGit } from '../lazy-deps.js';

export const STORE_REF = 'refs/mlmeta/store';

export interface Remote {
  /** the configured remote name, or the URL/path as given */
  name: string;
  url: string;
  http: boolean;
  /** draw transfer progress on stderr (the caller decides: a TTY, no --json) */
  progress?: boolean;
}

/** isomorphic-git's progress events as one line on stderr, redrawn in place. */
function progressCallback(remote: Remote) {
  if (!remote.progress) return {};
  let drawn = false;
  process.once('exit', () => { if (drawn) process.stderr.write('\r\x1b[K'); });
  return {
    onProgress: (e: { phase: string; loaded: number; total?: number }) => {
      drawn = true;
      process.stderr.write(`\r\x1b[K${e.phase} ${e.loaded}${e.total ? `/${e.total}` : ''}`);
    },
  };
}

function gitAvailable(): boolean {
  return spawnSync('git', ['--version'], { stdio: 'ignore' }).status === 0;
}

function needGit(what: string): void {
  if (!gitAvailable()) throw new MlmetaError('E_GIT', `${what} needs the git binary, which is not installed (HTTP(S) remotes work without it)`);
}

function runGit(args: string[], cwd?: string): { ok: boolean; out: string; err: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
  const token = process.env.MLMETA_TOKEN;
  if (token) {
    // Passed through the environment (never the command line, never a file).
    const basic = Buffer.from(`${process.env.MLMETA_TOKEN_USER ?? 'x-access-token'}:${token}`).toString('base64');
    Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` });
  }
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024, env });
  return { ok: r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? '').trim() };
}

const firstLine = (s: string) => s.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('hint:')) ?? s;

/** `origin` (a configured remote of the project's git repo), a URL, or a path to a repo. */
export function resolveRemote(projectRoot: string, remote: string): Remote {
  if (/^[A-Za-z0-9][\w.-]*$/.test(remote) && !fs.existsSync(path.resolve(projectRoot, remote))) {
    let url: string | undefined;
    try {
      url = execFileSync('git', ['config', '--get', `remote.${remote}.url`], { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      url = undefined;
    }
    if (!url) throw new MlmetaError('E_NOT_FOUND', `no git remote named ${remote}; give a URL or a path, or \`git remote add ${remote} URL\``);
    return { name: remote, url: isPathLike(url) ? path.resolve(projectRoot, url) : url, http: /^https?:\/\//i.test(url) };
  }
  const url = isPathLike(remote) ? path.resolve(projectRoot, remote) : remote;
  return { name: remote, url, http: /^https?:\/\//i.test(url) };
}

function isPathLike(url: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^[\w.-]+@[\w.-]+:/.test(url);
}

/** The safe form of a URL for messages: no user info. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

// ---- isomorphic-git (HTTP) ----

async function iso() {
  return isomorphicGit();
}

function credentialFill(url: string): { username: string; password: string } | undefined {
  if (!gitAvailable()) return undefined;
  try {
    const u = new URL(url);
    const input = `protocol=${u.protocol.replace(':', '')}\nhost=${u.host}\npath=${u.pathname.replace(/^\//, '')}\n\n`;
    const r = spawnSync('git', ['credential', 'fill'], { input, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, timeout: 10_000 });
    if (r.status !== 0) return undefined;
    const m = new Map(r.stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]));
    const username = m.get('username');
    const password = m.get('password');
    return username !== undefined && password !== undefined ? { username, password } : undefined;
  } catch {
    return undefined;
  }
}

function authCallbacks(url: string) {
  let tried = false;
  return {
    onAuth: () => {
      const token = process.env.MLMETA_TOKEN;
      if (token) return { username: process.env.MLMETA_TOKEN_USER ?? 'x-access-token', password: token };
      return credentialFill(url) ?? { cancel: true };
    },
    onAuthFailure: () => {
      if (tried) return { cancel: true };
      tried = true;
      return credentialFill(url) ?? { cancel: true };
    },
  };
}

function remoteError(remote: Remote, e: unknown): MlmetaError {
  if (e instanceof MlmetaError) return e;
  const err = e as { code?: string; message?: string; data?: { statusCode?: number } };
  const status = err.data?.statusCode;
  const denied = status === 401 || status === 403 || err.code === 'UserCanceledError';
  const why = denied ? `authentication failed${status ? ` (HTTP ${status})` : ''}; set MLMETA_TOKEN or a git credential helper` : err.message ?? String(e);
  return new MlmetaError('E_REMOTE', `cannot reach ${shownUrl(remote.url)}: ${firstLine(why)}`);
}

/** The remote's current tip of refs/mlmeta/store, or undefined when it has none. */
export async function remoteTip(gitDir: string, remote: Remote): Promise<string | undefined> {
  if (remote.http) {
    const { git, http } = await iso();
    try {
      const refs = await git.listServerRefs({ http: http as never, url: remote.url, prefix: STORE_REF, ...authCallbacks(remote.url) });
      return refs.find((r: { ref: string; oid: string }) => r.ref === STORE_REF)?.oid;
    } catch (e) {
      throw remoteError(remote, e);
    }
  }
  needGit(`remote ${remote.url}`);
  const r = runGit(['--git-dir', gitDir, 'ls-remote', remote.url, STORE_REF]);
  if (!r.ok) throw new MlmetaError('E_REMOTE', `cannot reach ${shownUrl(remote.url)}: ${firstLine(r.err)}`);
  const line = r.out.split('\n').find((l) => l.endsWith(`\t${STORE_REF}`));
  return line ? line.slice(0, line.indexOf('\t')) : undefined;
}

/** Fetch the remote's tip commit (and everything it needs) into the sync repository. */
export async function fetchTip(gitDir: string, remote: Remote, tip: string): Promise<void> {
  if (fs.existsSync(path.join(gitDir, 'objects', tip.slice(0, 2), tip.slice(2))) || hasPacked(gitDir, tip)) return;
  if (remote.http) {
    const { git, http } = await iso();
    try {
      // isomorphic-git's fetch takes no refspec argument; it reads one from the config.
      await git.setConfig({ fs, gitdir: gitDir, path: 'remote.mlmeta.url', value: remote.url });
      await git.setConfig({ fs, gitdir: gitDir, path: 'remote.mlmeta.fetch', value: `+${STORE_REF}:refs/mlmeta/fetched` });
      await git.fetch({ fs, http: http as never, gitdir: gitDir, remote: 'mlmeta', url: remote.url, ref: STORE_REF, remoteRef: STORE_REF, singleBranch: true, tags: false, ...authCallbacks(remote.url), ...progressCallback(remote) });
      return;
    } catch (e) {
      // isomorphic-git looks up the remote's HEAD before it saves the pack, and fails when
      // HEAD is unborn (a new bare repo holding only our ref). git itself only warns.
      if (!/Could not find HEAD/.test(String((e as Error).message))) throw remoteError(remote, e);
      if (!gitAvailable()) throw new MlmetaError('E_REMOTE', `cannot fetch from ${shownUrl(remote.url)}: its HEAD points at no branch (push a branch first, or install git)`);
    }
  }
  const r = runGit(['--git-dir', gitDir, 'fetch', '--no-tags', '--quiet', remote.url, `+${STORE_REF}:refs/mlmeta/fetched`]);
  if (!r.ok) throw new MlmetaError('E_REMOTE', `cannot fetch from ${shownUrl(remote.url)}: ${firstLine(r.err)}`);
}

function hasPacked(gitDir: string, oid: string): boolean {
  if (!gitAvailable()) return false;
  return runGit(['--git-dir', gitDir, 'cat-file', '-e', oid]).ok;
}

/** Push a commit to the remote's refs/mlmeta/store. Returns false when the remote moved meanwhile. */
export async function pushCommit(gitDir: string, remote: Remote, commit: string): Promise<boolean> {
  if (remote.http) {
    const { git, http } = await iso();
    await git.writeRef({ fs, gitdir: gitDir, ref: STORE_REF, value: commit, force: true });
    try {
      const res = await git.push({ fs, http: http as never, gitdir: gitDir, url: remote.url, ref: STORE_REF, remoteRef: STORE_REF, ...authCallbacks(remote.url), ...progressCallback(remote) });
      return res.ok !== false;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'PushRejectedError' || code === 'GitPushError') return false;
      throw remoteError(remote, e);
    }
  }
  const r = runGit(['--git-dir', gitDir, 'push', '--quiet', '--porcelain', remote.url, `${commit}:${STORE_REF}`]);
  if (r.ok) return true;
  if (/rejected|non-fast-forward|fetch first|failed to update ref|cannot lock ref/i.test(r.out + r.err)) return false;
  throw new MlmetaError('E_REMOTE', `cannot push to ${shownUrl(remote.url)}: ${firstLine(r.err || r.out)}`);
}

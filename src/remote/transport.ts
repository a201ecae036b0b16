// Moving `refs/mlmeta/store` between the sync repository and a remote.
// With a `git` binary on the PATH, every remote kind (http(s), ssh, paths) goes through it:
// the user's credential helpers, proxies and SSH config apply, and git's own pack code does
// the work. Without one (slim containers), HTTP(S) goes through isomorphic-git, in process;
// other kinds then need git. Credentials live in memory only: a URL's user info is split off
// when the remote is resolved and sent as a header — through GIT_CONFIG_* variables for git,
// never an argument, never a file. No URL is written to disk (git fetch runs with
// --no-write-fetch-head) and git's messages are shown with the safe form of the URL.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { redactString, redactUrl } from '../records/secrets.js';
import { isomorphicGit } from '../lazy-deps.js';
import { syncRepoEnv } from './git-env.js';

export const STORE_REF = 'refs/mlmeta/store';

interface Credentials {
  username: string;
  password: string;
}

export interface Remote {
  /** the URL or absolute path used for transfers, without user info (kept in memory only) */
  url: string;
  /** the same for messages and as the on-disk key: no user info, no secret query parameters */
  shown: string;
  /** the URL's user info, in memory only */
  auth?: Credentials;
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

let gitOnPath: boolean | undefined;
/** Whether a working `git` binary is on the PATH (asked once per process). */
export function gitAvailable(): boolean {
  gitOnPath ??= spawnSync('git', ['--version'], { stdio: 'ignore' }).status === 0;
  return gitOnPath;
}

function needGit(what: string): void {
  if (!gitAvailable()) throw new MlmetaError('E_GIT', `${what} needs the git binary, which is not installed (HTTP(S) remotes work without it)`);
}

/** The credentials to send: the URL's own, else MLMETA_TOKEN (else git's helper asks). */
function credentials(remote: Remote): Credentials | undefined {
  if (remote.auth) return remote.auth;
  const token = process.env.MLMETA_TOKEN;
  return token ? { username: process.env.MLMETA_TOKEN_USER ?? 'x-access-token', password: token } : undefined;
}

const basicAuth = (c: Credentials) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

function gitEnv(remote?: Remote): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...syncRepoEnv(), GIT_TERMINAL_PROMPT: '0' };
  // Settings through GIT_CONFIG_* (after any the user set): never an argument, never a file.
  // No automatic gc: packing the mirror's loose blobs would only make the next push rebuild them.
  const config: Array<[string, string]> = [['gc.auto', '0'], ['maintenance.auto', 'false']];
  const creds = remote?.http ? credentials(remote) : undefined;
  if (creds) config.push(['http.extraHeader', `Authorization: ${basicAuth(creds)}`]);
  let n = Number(env.GIT_CONFIG_COUNT) || 0;
  for (const [key, value] of config) {
    env[`GIT_CONFIG_KEY_${n}`] = key;
    env[`GIT_CONFIG_VALUE_${n}`] = value;
    n++;
  }
  env.GIT_CONFIG_COUNT = String(n);
  return env;
}

interface GitRun { ok: boolean; out: string; err: string }

function runGit(args: string[], remote?: Remote): GitRun {
  const r = spawnSync('git', args, { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024, env: gitEnv(remote) });
  return { ok: r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? '').trim() };
}

// git's progress lines (`Writing objects:  42% (…)`, `remote: Counting objects…`): shown as they come.
const PROGRESS = /^(remote: )?(Enumerating|Counting|Compressing|Writing|Receiving|Resolving|Total|Delta)\b/;

/** A transfer: like runGit, but with git's progress drawn on stderr when the caller asks. */
function transferGit(args: string[], remote: Remote): Promise<GitRun> {
  const argv = remote.progress ? [...args, '--progress'] : args;
  return new Promise((resolve) => {
    const p = spawn('git', argv, { env: gitEnv(remote), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let drawn = false;
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => {
      err.push(d);
      if (!remote.progress) return;
      for (const part of d.toString('utf8').split(/[\r\n]/)) {
        if (PROGRESS.test(part)) {
          drawn = true;
          process.stderr.write(`\r\x1b[K${part.trim()}`);
        }
      }
    });
    p.on('error', () => resolve({ ok: false, out: '', err: 'git could not be started' }));
    p.on('close', (code) => {
      if (drawn) process.stderr.write('\r\x1b[K');
      resolve({ ok: code === 0, out: Buffer.concat(out).toString('utf8'), err: Buffer.concat(err).toString('utf8').trim() });
    });
  });
}

/** git's words for a failure, safe to show: the URL as shown, no secrets, no control characters. */
function gitFailure(remote: Remote, err: string): string {
  const lines = err.split('\n').map((l) => l.split('\r').pop()!.trim()).filter((l) => l && !l.startsWith('hint:') && !PROGRESS.test(l));
  if (lines.some((l) => /Authentication failed|could not read (Username|Password)|returned error: 40[13]|HTTP 40[13]/i.test(l))) {
    return 'authentication failed; set MLMETA_TOKEN or a git credential helper';
  }
  const line = (lines.find((l) => l.startsWith('fatal:')) ?? lines.find((l) => l.startsWith('error:')) ?? lines[0] ?? 'git failed').replace(/^(fatal|error):\s*/, '');
  const shown = line.split(remote.url.replace(/\/+$/, '')).join(remote.shown.replace(/\/+$/, '')).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return redactString(shown) ?? shown;
}

/**
 * `origin` (a configured remote of the git repository at `cwd`), a URL, or a path to a repo
 * (relative to `cwd`; a configured path, relative to that repository's top folder, as git reads it).
 */
export async function resolveRemote(cwd: string, remote: string): Promise<Remote> {
  // As git does: a configured remote of that name wins over a folder of that name (a
  // project may hold a folder called `origin`, even a planted bare repo with hooks).
  const named = /^[A-Za-z0-9][\w.-]*$/.test(remote);
  const configured = !named ? undefined : gitAvailable() ? configuredRemote(cwd, remote) : await configuredRemoteInProcess(cwd, remote);
  return remoteFrom(cwd, remote, named, configured);
}

function remoteFrom(cwd: string, remote: string, named: boolean, configured: { url: string; top: string } | undefined): Remote {
  if (named) {
    if (configured) return isPathLike(configured.url) ? remoteOf(path.resolve(configured.top, configured.url)) : remoteOf(configured.url);
    if (!fs.existsSync(path.resolve(cwd, remote))) {
      throw new MlmetaError('E_NOT_FOUND', `no git remote named ${remote}; give a URL or a path, or \`git remote add ${remote} URL\``);
    }
  }
  return remoteOf(isPathLike(remote) ? path.resolve(cwd, remote) : remote);
}

/** A configured remote's URL and the top folder of its repository (a path URL is relative to it). */
function configuredRemote(cwd: string, name: string): { url: string; top: string } | undefined {
  const gitOut = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
    } catch {
      return undefined;
    }
  };
  const url = gitOut(['config', '--get', `remote.${name}.url`]);
  return url ? { url, top: (isPathLike(url) && gitOut(['rev-parse', '--show-toplevel'])) || cwd } : undefined;
}

/** The same without a git binary: the repository's own config, read by isomorphic-git. */
async function configuredRemoteInProcess(cwd: string, name: string): Promise<{ url: string; top: string } | undefined> {
  const { git } = await iso();
  try {
    const top = await git.findRoot({ fs, filepath: cwd });
    const url: unknown = await git.getConfig({ fs, dir: top, path: `remote.${name}.url` });
    return typeof url === 'string' && url ? { url, top } : undefined;
  } catch {
    return undefined;
  }
}

function remoteOf(url: string): Remote {
  // git would read it as an option (`--upload-pack=…` runs a command).
  if (url.startsWith('-')) throw new MlmetaError('E_USAGE', `not a remote: ${shownUrl(url)}`);
  const http = /^https?:\/\//i.test(url);
  if (!http) return { url, shown: shownUrl(url), http };
  const u = new URL(url);
  let auth: Credentials | undefined;
  if (u.username || u.password) {
    auth = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
    u.username = '';
    u.password = '';
  }
  return { url: auth ? u.toString() : url, shown: shownUrl(url), auth, http };
}

/** A short, fixed-length name for a remote on disk (a ref name): a hash of its shown URL. */
export function remoteKey(remote: Remote): string {
  return createHash('sha256').update(remote.shown).digest('hex').slice(0, 40);
}

/**
 * A local path, as git tells one from a URL: not `scheme://…`, and not scp-like `[user@]host:path`
 * (a colon before any slash).
 */
function isPathLike(url: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return false;
  const colon = url.indexOf(':');
  const slash = url.indexOf('/');
  return colon <= 0 || (slash !== -1 && slash < colon);
}

/** The safe form of a URL for messages: no user info, no secret-looking query values. */
export function shownUrl(url: string): string {
  return redactUrl(url);
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

/**
 * Credentials known up front (the URL's, MLMETA_TOKEN) go in the first request; without
 * them, a 401 asks git's credential helper once.
 */
function authOptions(remote: Remote) {
  const creds = credentials(remote);
  return {
    headers: (creds ? { Authorization: basicAuth(creds) } : {}) as Record<string, string>,
    onAuth: () => (creds ? undefined : credentialFill(remote.url)) ?? { cancel: true },
    onAuthFailure: () => ({ cancel: true }),
  };
}

function remoteError(remote: Remote, e: unknown): MlmetaError {
  if (e instanceof MlmetaError) return e;
  const err = e as { code?: string; message?: string; data?: { statusCode?: number } };
  const status = err.data?.statusCode;
  const denied = status === 401 || status === 403 || err.code === 'UserCanceledError';
  const why = denied ? `authentication failed${status ? ` (HTTP ${status})` : ''}; set MLMETA_TOKEN or a git credential helper` : err.message ?? String(e);
  return new MlmetaError('E_REMOTE', `cannot reach ${remote.shown}: ${why.split('\n')[0]}`);
}

/** isomorphic-git carries HTTP(S) only when there is no git binary to do it. */
const inProcess = (remote: Remote) => remote.http && !gitAvailable();

/** The remote's current tip of refs/mlmeta/store, or undefined when it has none. */
export async function remoteTip(gitDir: string, remote: Remote): Promise<string | undefined> {
  if (inProcess(remote)) {
    const { git, http } = await iso();
    try {
      const refs = await git.listServerRefs({ http: http as never, url: remote.url, prefix: STORE_REF, ...authOptions(remote) });
      return refs.find((r: { ref: string; oid: string }) => r.ref === STORE_REF)?.oid;
    } catch (e) {
      throw remoteError(remote, e);
    }
  }
  needGit(`remote ${remote.shown}`);
  const r = await transferGit(['--git-dir', gitDir, 'ls-remote', remote.url, STORE_REF], { ...remote, progress: false });
  if (!r.ok) throw new MlmetaError('E_REMOTE', `cannot reach ${remote.shown}: ${gitFailure(remote, r.err)}`);
  const line = r.out.split('\n').find((l) => l.endsWith(`\t${STORE_REF}`));
  return line ? line.slice(0, line.indexOf('\t')) : undefined;
}

/** Fetch the remote's tip commit (and everything it needs) into the sync repository. */
export async function fetchTip(gitDir: string, remote: Remote, tip: string): Promise<void> {
  if (fs.existsSync(path.join(gitDir, 'objects', tip.slice(0, 2), tip.slice(2))) || hasPacked(gitDir, tip)) return;
  if (inProcess(remote)) {
    const { git, http } = await iso();
    try {
      // isomorphic-git's fetch takes no refspec argument; it reads one from the config. The
      // URL is passed in memory only.
      await git.setConfig({ fs, gitdir: gitDir, path: 'remote.mlmeta.fetch', value: `+${STORE_REF}:refs/mlmeta/fetched` });
      await git.fetch({ fs, http: http as never, gitdir: gitDir, remote: 'mlmeta', url: remote.url, ref: STORE_REF, remoteRef: STORE_REF, singleBranch: true, tags: false, ...authOptions(remote), ...progressCallback(remote) });
      return;
    } catch (e) {
      // isomorphic-git looks up the remote's HEAD before it saves the pack, and fails when
      // HEAD is unborn (a new bare repo holding only our ref). git itself only warns.
      if (!/Could not find HEAD/.test(String((e as Error).message))) throw remoteError(remote, e);
      throw new MlmetaError('E_REMOTE', `cannot fetch from ${remote.shown}: its HEAD points at no branch (push a branch first, or install git)`);
    }
  }
  const r = await transferGit(['--git-dir', gitDir, 'fetch', '--no-tags', '--no-write-fetch-head', '--quiet', remote.url, `+${STORE_REF}:refs/mlmeta/fetched`], remote);
  if (!r.ok) throw new MlmetaError('E_REMOTE', `cannot fetch from ${remote.shown}: ${gitFailure(remote, r.err)}`);
}

function hasPacked(gitDir: string, oid: string): boolean {
  if (!gitAvailable()) return false;
  return runGit(['--git-dir', gitDir, 'cat-file', '-e', oid]).ok;
}

/** Push a commit to the remote's refs/mlmeta/store. Returns false when the remote moved meanwhile. */
export async function pushCommit(gitDir: string, remote: Remote, commit: string): Promise<boolean> {
  if (inProcess(remote)) {
    const { git, http } = await iso();
    await git.writeRef({ fs, gitdir: gitDir, ref: STORE_REF, value: commit, force: true });
    try {
      const res = await git.push({ fs, http: http as never, gitdir: gitDir, url: remote.url, ref: STORE_REF, remoteRef: STORE_REF, ...authOptions(remote), ...progressCallback(remote) });
      return res.ok !== false;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'PushRejectedError' || code === 'GitPushError') return false;
      throw remoteError(remote, e);
    }
  }
  const r = await transferGit(['--git-dir', gitDir, 'push', '--quiet', '--porcelain', remote.url, `${commit}:${STORE_REF}`], remote);
  if (r.ok) return true;
  // git's porcelain status of the ref ("!\t<src>:<dst>\t[rejected] (fetch first)"), not what a
  // hook prints on stderr, which can be anything, "non-fast-forward" included (review 9b); a
  // server whose own refusal reads like a lost race ("failed to update ref") is retried (9c)
  const status = /^!\t[^\t]*\t(\[(?:remote )?rejected\]) \((.*)\)$/m.exec(r.out);
  if (status) {
    const [, how, reason] = status as unknown as [string, string, string];
    // the remote moved meanwhile: git refusing a non-fast-forward, or the server losing a race for the ref
    if (how === '[rejected]' ? /^(fetch first|non-fast-forward|stale info)/.test(reason) : /^(failed to update ref|cannot lock ref|incorrect old value)/.test(reason)) return false;
    // anything else the server refused (a hook, a protected ref) is its answer, not a race
    const said = r.err.split('\n').find((l) => l.startsWith('remote: ') && l.length > 8);
    throw new MlmetaError('E_REMOTE', `${remote.shown} refused the push (${gitFailure(remote, reason)})${said ? `: ${gitFailure(remote, said.slice(8))}` : ''}`);
  }
  throw new MlmetaError('E_REMOTE', `cannot push to ${remote.shown}: ${gitFailure(remote, r.err || r.out)}`);
}

/**
 * `git clone` for `mlmeta clone`: credentials in the URL are passed in memory, as for push
 * and pull, so the clone's `origin` (in its .git/config) is the URL without them.
 */
export function gitClone(cwd: string, url: string, dir: string): void {
  needGit('mlmeta clone');
  const named = /^[A-Za-z0-9][\w.-]*$/.test(url);
  const remote = remoteFrom(cwd, url, named, named ? configuredRemote(cwd, url) : undefined);
  const r = runGit(['clone', '--quiet', '--', remote.url, dir], remote);
  if (!r.ok) throw new MlmetaError('E_REMOTE', `git clone failed: ${gitFailure(remote, r.err)}`);
}

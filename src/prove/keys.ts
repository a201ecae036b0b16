// Which key signs and whom to trust, read the way git reads them: `user.signingKey` (a key
// file, or `key::ssh-… ` / a public key file for a key held by ssh-agent), trust from
// `gpg.ssh.allowedSignersFile`, revocations from `gpg.ssh.revocationFile`; flags override.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { isInside } from '../store/paths.js';
import type { Store } from '../api/store.js';
import type { Trust } from './sshsig.js';
import { runTool } from './tool.js';

export interface TrustOptions {
  allowedSigners?: string;
  revocation?: string;
}

const SETTINGS = '^(user\\.signingkey|gpg\\.ssh\\.allowedsignersfile|gpg\\.ssh\\.revocationfile)$';
const configCache = new WeakMap<Store, Map<string, string>>();

/** The signing settings of git config, read once per store in one git process (keys lower-cased, last value wins, as git does). */
function gitConfig(store: Store, key: string): string | undefined {
  let all = configCache.get(store);
  if (!all) {
    all = new Map();
    try {
      const r = runTool('git', ['config', '-z', '--type=path', '--get-regexp', SETTINGS], { cwd: store.layout.project, env: store.env });
      for (const entry of r.status === 0 ? r.stdout.split('\0') : []) {
        const nl = entry.indexOf('\n');
        if (nl > 0) all.set(entry.slice(0, nl).toLowerCase(), entry.slice(nl + 1));
      }
    } catch { /* no git: only flags */ }
    configCache.set(store, all);
  }
  const v = all.get(key.toLowerCase());
  return v === undefined || v === '' ? undefined : v;
}

/** git's top folder for the project, or the project itself outside git. */
function repoTop(store: Store): string {
  try {
    const r = runTool('git', ['rev-parse', '--show-toplevel'], { cwd: store.layout.project, env: store.env });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  } catch { /* no git */ }
  return store.layout.project;
}

function existing(file: string, what: string): string {
  if (!fs.existsSync(file)) throw new MlmetaError('E_NOT_FOUND', `${what} ${file} does not exist`);
  return file;
}

export function resolveTrust(store: Store, opts: TrustOptions = {}): Trust {
  const allowed = opts.allowedSigners !== undefined ? path.resolve(store.cwd, opts.allowedSigners) : configPath(store, 'gpg.ssh.allowedSignersFile');
  const revocation = opts.revocation !== undefined ? path.resolve(store.cwd, opts.revocation) : configPath(store, 'gpg.ssh.revocationFile');
  if (allowed) existing(allowed, 'allowed-signers file');
  if (revocation) existing(revocation, 'revocation file');
  let allowedInRepo = false;
  if (allowed) {
    const real = fs.realpathSync(allowed);
    allowedInRepo = isInside(fs.realpathSync(repoTop(store)), real) || isInside(fs.realpathSync(store.layout.project), real);
  }
  return { ...(allowed ? { allowedSigners: allowed } : {}), ...(revocation ? { revocation } : {}), allowedInRepo };
}

function configPath(store: Store, key: string): string | undefined {
  const v = gitConfig(store, key);
  return v === undefined ? undefined : path.resolve(store.layout.project, v);
}

export interface SigningKey {
  /** what ssh-keygen -f gets */
  file: string;
  /** how to name the key to the user (never its contents) */
  shown: string;
  /** removes a temp file holding a literal public key */
  dispose: () => void;
}

/**
 * The key to sign with: `--key FILE`, else git's `user.signingKey`. A literal public key
 * (`key::ssh-ed25519 AAAA…`, or an old-style bare `ssh-…`) is written to a temp file for
 * ssh-keygen, which then signs through ssh-agent, as git does.
 */
export function resolveSigningKey(store: Store, keyOpt?: string): SigningKey {
  const given = keyOpt ?? gitConfig(store, 'user.signingKey');
  if (given === undefined || given === '') {
    throw new MlmetaError('E_SIGNATURE', 'no signing key: pass --key FILE or set one as git does (git config user.signingKey ~/.ssh/id_ed25519.pub)');
  }
  const literal = given.startsWith('key::') ? given.slice(5) : /^(ssh-|ecdsa-|sk-)/.test(given) ? given : undefined;
  if (literal !== undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-key-'));
    const file = path.join(dir, 'signing.pub');
    fs.writeFileSync(file, `${literal.trim()}\n`, { mode: 0o600 });
    return { file, shown: `the ssh-agent key ${literal.trim().split(/\s+/).slice(0, 1).join(' ')}`, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const file = path.resolve(keyOpt !== undefined ? store.cwd : store.layout.project, given.startsWith('~/') ? path.join(os.homedir(), given.slice(2)) : given);
  existing(file, 'signing key');
  return { file, shown: file, dispose: () => undefined };
}

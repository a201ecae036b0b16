// Keys, trust files and stores for the prove tests: real ssh-keygen keys in temp folders
// outside the repository, as a user would keep them.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ok } from '../helpers/cli.js';
import { git, gitRepo, tempDir, write } from '../helpers/dirs.js';

export interface SshKey {
  file: string;
  pub: string;
  /** the private seed, for "never written anywhere" checks */
  secretForms: string[];
}

export function sshKey(dir: string, name: string): SshKey {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  return { file, pub: fs.readFileSync(`${file}.pub`, 'utf8').trim(), secretForms: secretFormsOf(file) };
}

/** The 32-byte ed25519 seed of an openssh-key-v1 file, in raw, hex and base64 form, plus the body lines past the public part. */
function secretFormsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n').filter((l) => l && !l.startsWith('-----'));
  const blob = Buffer.from(lines.join(''), 'base64');
  let at = 'openssh-key-v1\0'.length;
  const str = () => { const n = blob.readUInt32BE(at); const s = blob.subarray(at + 4, at + 4 + n); at += 4 + n; return s; };
  str(); str(); str(); at += 4; str(); // cipher, kdf, kdfoptions, nkeys, public key
  const priv = str();
  let p = 8;
  const pstr = () => { const n = priv.readUInt32BE(p); const s = priv.subarray(p + 4, p + 4 + n); p += 4 + n; return s; };
  pstr(); pstr(); // key type, public
  const seed = pstr().subarray(0, 32);
  return [seed.toString('hex'), seed.toString('base64').replace(/=+$/, ''), seed.toString('latin1'), ...lines.slice(2)];
}

export function allowedSigners(file: string, entries: Array<{ principal: string; key: SshKey; options?: string }>): string {
  fs.writeFileSync(file, entries.map((e) => `${e.principal} ${e.options ? `${e.options} ` : ''}${e.key.pub.split(' ').slice(0, 2).join(' ')}\n`).join(''));
  return file;
}

/** Every file under these folders that holds any of these strings. */
export function filesHolding(dirs: string[], needles: string[]): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const bytes = fs.readFileSync(p).toString('latin1');
        if (needles.some((n) => bytes.includes(n))) hits.push(p);
      }
    }
  };
  for (const d of dirs) walk(d);
  return hits;
}

/** The object file of an id. */
export function objectFile(repo: string, id: string): string {
  return path.join(repo, '.mlmeta', 'objects', id.slice(0, 2), `${id.slice(2)}.yaml`);
}

/** The armoured SSHSIG inside a signature object, extracted the way TRUST.md tells auditors to. */
export function extractSig(repo: string, sigId: string, out: string): string {
  const text = execFileSync('awk', ['/-----BEGIN SSH SIGNATURE-----/,/-----END SSH SIGNATURE-----/ { sub(/^ +/, ""); print }', objectFile(repo, sigId)], { encoding: 'utf8' });
  fs.writeFileSync(out, text);
  return out;
}

/** A repo with a store, a dataset and a model trained from it, committed. */
export function modelRepo(): { repo: string; model: string; keys: string } {
  const repo = gitRepo();
  ok(repo, ['init']);
  write(repo, 'data/train.csv', 'a,b\n1,2\n');
  const model = ok(repo, ['record', 'model', '--name', 'churn', '--data', 'data', '--param', 'lr=0.1', '--env', 'none']);
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'model');
  return { repo, model, keys: tempDir('mlmeta-keys-') };
}

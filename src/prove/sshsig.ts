// SSH signatures the way git makes them (gpg.format=ssh): `ssh-keygen -Y sign` over the
// exact bytes, in a namespace of mlmeta's own, and `ssh-keygen -Y verify` against an
// allowed-signers file for trust. ssh-keygen holds every key operation (key files,
// passphrases, ssh-agent, FIDO keys): mlmeta never reads a private key. The armoured
// signature is parsed here only to name the key (type and SHA256 fingerprint).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { lastLine, runTool } from './tool.js';

/** The SSHSIG namespace of record signatures: a key limited to it cannot sign commits (`git`). */
export const NAMESPACE = 'mlmeta';

const ARMOUR = /^-----BEGIN SSH SIGNATURE-----\n([A-Za-z0-9+/=\n]+)-----END SSH SIGNATURE-----\n?$/;

export interface SshsigInfo {
  /** e.g. ssh-ed25519 */
  keyType: string;
  /** SHA256:… as ssh-keygen -l prints it */
  fingerprint: string;
  namespace: string;
}

/** Read the public facts of an armoured SSHSIG (PROTOCOL.sshsig); undefined if it is not one. */
export function parseSshsig(armoured: string): SshsigInfo | undefined {
  const m = ARMOUR.exec(armoured);
  if (!m) return undefined;
  const blob = Buffer.from(m[1]!.replace(/\n/g, ''), 'base64');
  let at = 0;
  const str = (): Buffer => {
    if (at + 4 > blob.length) throw new Error('short');
    const n = blob.readUInt32BE(at);
    if (at + 4 + n > blob.length) throw new Error('short');
    const s = blob.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return s;
  };
  try {
    if (blob.subarray(0, 6).toString('latin1') !== 'SSHSIG') return undefined;
    at = 6;
    if (blob.readUInt32BE(at) !== 1) return undefined;
    at += 4;
    const publicKey = str();
    const namespace = str().toString('utf8');
    const keyType = publicKey.subarray(4, 4 + publicKey.readUInt32BE(0)).toString('latin1');
    const fingerprint = `SHA256:${createHash('sha256').update(publicKey).digest('base64').replace(/=+$/, '')}`;
    return { keyType, fingerprint, namespace };
  } catch {
    return undefined;
  }
}

/** A private temp folder for signature files and literal keys (never under the store). */
export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-sig-'));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Sign `data` with the key ssh-keygen finds at `keyFile` (a private key, or a public key whose private half is in ssh-agent). */
export function sshSign(data: Buffer, keyFile: string): string {
  const r = runTool('ssh-keygen', ['-q', '-Y', 'sign', '-f', keyFile, '-n', NAMESPACE], { input: data, code: 'E_SIGNATURE' });
  // stdout holds only the public signature; stderr may name the key file, never its contents.
  if (r.status !== 0 || !parseSshsig(r.stdout)) {
    throw new MlmetaError('E_SIGNATURE', `ssh-keygen could not sign with ${keyFile}: ${lastLine(r.stderr) || `exit ${r.status}`}`);
  }
  return r.stdout;
}

export interface Trust {
  /** the allowed-signers file (git's gpg.ssh.allowedSignersFile or --allowed-signers) */
  allowedSigners?: string;
  /** a KRL or a list of revoked public keys (gpg.ssh.revocationFile or --revocation-file) */
  revocation?: string;
  /** the allowed-signers file is inside the repository: whoever can commit can add themselves */
  allowedInRepo?: boolean;
}

export type SignatureStatus = 'valid' | 'bad' | 'untrusted' | 'expired' | 'revoked' | 'no-trust';

export interface SshVerdict {
  status: SignatureStatus;
  principal?: string;
  detail: string;
}

/** ssh-keygen's time format for -O verify-time (UTC). */
export function verifyTime(iso: string): string | undefined {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return undefined;
  return `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/**
 * Check one signature over `data`. The order tells the reasons apart, since ssh-keygen's
 * verify says only "Could not verify": check-novalidate (bytes and namespace), then the
 * signer's principals in the allowed-signers file at the signing time (expiry shows here),
 * then the full verify with the revocation list. Validity is judged at `signedAt`, as git
 * judges a commit signature at the commit's time, so rotating a key does not void old
 * signatures; a stolen key is handled by revoking it.
 */
export function sshVerify(data: Buffer, armoured: string, signedAt: string, trust: Trust): SshVerdict {
  if (!parseSshsig(armoured)) return { status: 'bad', detail: 'not an SSH signature' };
  return withTempDir((dir) => {
    const sig = path.join(dir, 'record.sig');
    fs.writeFileSync(sig, armoured);
    const crypto = runTool('ssh-keygen', ['-Y', 'check-novalidate', '-n', NAMESPACE, '-s', sig], { input: data, code: 'E_SIGNATURE' });
    if (crypto.status !== 0) return { status: 'bad', detail: lastLine(crypto.stderr) || 'signature does not match the bytes' };
    if (!trust.allowedSigners) return { status: 'no-trust', detail: 'signature matches, but no allowed-signers file is configured to say whose key it is' };
    const time = verifyTime(signedAt);
    const timeArgs = time ? ['-O', `verify-time=${time}`] : [];
    const find = runTool('ssh-keygen', ['-Y', 'find-principals', '-f', trust.allowedSigners, '-s', sig, ...timeArgs], { code: 'E_SIGNATURE' });
    const principal = find.status === 0 ? find.stdout.split('\n')[0]!.trim() : '';
    if (!principal) {
      const why = find.stderr;
      if (/expired|not yet valid/i.test(why)) return { status: 'expired', detail: lastLine(why.split('\n').find((l) => /expired|not yet valid/i.test(l)) ?? why) };
      return { status: 'untrusted', detail: `the signing key is not in ${trust.allowedSigners}` };
    }
    const revArgs = trust.revocation ? ['-r', trust.revocation] : [];
    const full = runTool('ssh-keygen', ['-Y', 'verify', '-f', trust.allowedSigners, '-I', principal, '-n', NAMESPACE, '-s', sig, ...revArgs, ...timeArgs], { input: data, code: 'E_SIGNATURE' });
    if (full.status === 0) return { status: 'valid', principal, detail: `good signature by ${principal}` };
    // Bytes, namespace and principal passed above: with a revocation list, that is what is left.
    if (trust.revocation) return { status: 'revoked', principal, detail: `the key of ${principal} is revoked (${trust.revocation})` };
    return { status: 'untrusted', principal, detail: lastLine(full.stderr) || 'ssh-keygen refused the signature' };
  });
}

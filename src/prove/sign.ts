// `mlmeta sign REF`: a `signature` record (role `signed`) holding an SSHSIG over the signed
// record's exact object bytes. Signatures are records of their own, never edits: ids stay
// stable and concurrent signers merge like any records. A record's bytes name its parents by
// hash, so signing a model vouches for its whole ancestry, as a signed commit does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { commitRecord, prepareRecord } from '../api/record.js';
import type { Store } from '../api/store.js';
import { parseYaml } from '../records/yaml.js';
import { readNoFollow } from '../store/atomic.js';
import { resolveSigningKey, resolveTrust, type TrustOptions } from './keys.js';
import { NAMESPACE, parseSshsig, sshSign, sshVerify, withTempDir, type SignatureStatus, type Trust } from './sshsig.js';
import { runTool } from './tool.js';

export interface SignOptions extends TrustOptions {
  /** the key file (default: git's user.signingKey) */
  key?: string;
  message?: string;
  date?: string;
}

export interface SignResult {
  id: string;
  signed: string;
  fingerprint: string;
  principal?: string;
  created: boolean;
}

/** The principal the allowed-signers file gives this signature's key, if any (a hint stored with it). */
function principalOf(armoured: string, trust: Trust): string | undefined {
  if (!trust.allowedSigners) return undefined;
  return withTempDir((dir) => {
    const sig = path.join(dir, 'record.sig');
    fs.writeFileSync(sig, armoured);
    const r = runTool('ssh-keygen', ['-Y', 'find-principals', '-f', trust.allowedSigners!, '-s', sig]);
    return r.status === 0 ? r.stdout.split('\n')[0]!.trim() || undefined : undefined;
  });
}

/** Sign the record `ref` names (its exact stored bytes) and record the signature. */
export function signRecord(store: Store, ref: string, opts: SignOptions = {}): SignResult {
  const target = store.resolve(ref);
  const bytes = store.cat(target);
  const key = resolveSigningKey(store, opts.key);
  let armoured: string;
  try {
    armoured = sshSign(bytes, key.file);
  } finally {
    key.dispose();
  }
  const info = parseSshsig(armoured)!;
  let principal: string | undefined;
  try {
    principal = principalOf(armoured, resolveTrust(store, opts));
  } catch {
    principal = undefined; // a hint only; trust is decided when checking
  }
  const prep = prepareRecord(store, {
    kind: 'signature',
    code: 'none',
    env: 'none',
    message: opts.message,
    date: opts.date,
    parentIds: [{ role: 'signed', id: target }],
    extra: { signed: target, namespace: NAMESPACE, key: { type: info.keyType, fingerprint: info.fingerprint }, ...(principal ? { principal } : {}), signature: armoured },
  });
  const res = commitRecord(store, prep);
  return { id: res.id, signed: target, fingerprint: info.fingerprint, ...(principal ? { principal } : {}), created: res.created };
}

/** `sign: true` in .mlmeta/config.yaml: every record, run and alias move is signed as it is made. */
export function signsByDefault(store: Store): boolean {
  try {
    const cfg = parseYaml(readNoFollow(store.layout.config).toString('utf8'), 'config.yaml');
    return typeof cfg === 'object' && cfg !== null && !Array.isArray(cfg) && cfg.sign === true;
  } catch {
    return false;
  }
}

export interface SignatureCheck {
  id: string;
  /** the record the signature claims to sign */
  signed?: string;
  status: SignatureStatus | 'malformed' | 'missing-subject';
  principal?: string;
  fingerprint?: string;
  created?: string;
  detail: string;
}

/** Ids of the signature records that sign `id`. */
export function signaturesOf(store: Store, id: string): string[] {
  return store.graph().childrenWithKind(id).filter((c) => c.kind === 'signature' && c.role === 'signed').map((c) => c.id);
}

/** Check one signature record against the bytes of the record it signs. Records are untrusted input. */
export function checkSignature(store: Store, sigId: string, trust: Trust): SignatureCheck {
  let rec;
  try {
    rec = store.read(sigId);
  } catch (e) {
    if (e instanceof MlmetaError) return { id: sigId, status: 'malformed', detail: e.message };
    throw e;
  }
  const signedParents = (rec.parents ?? []).filter((p) => p.role === 'signed');
  const armoured = rec.signature;
  if (rec.kind !== 'signature' || signedParents.length !== 1 || typeof armoured !== 'string') {
    return { id: sigId, status: 'malformed', detail: 'a signature record needs one `signed` parent and a `signature`' };
  }
  const signed = signedParents[0]!.id;
  const info = parseSshsig(armoured);
  const base = { id: sigId, signed, created: rec.created, ...(info ? { fingerprint: info.fingerprint } : {}) };
  let bytes: Buffer;
  try {
    bytes = store.cat(signed);
  } catch (e) {
    if (e instanceof MlmetaError) return { ...base, status: 'missing-subject', detail: `the signed record ${signed} cannot be read: ${e.message}` };
    throw e;
  }
  const v = sshVerify(bytes, armoured, rec.created, trust);
  return { ...base, status: v.status, ...(v.principal ? { principal: v.principal } : {}), detail: v.detail };
}

/** Check every signature of `id`. */
export function checkSignaturesOf(store: Store, id: string, trust: Trust): SignatureCheck[] {
  return signaturesOf(store, id).map((s) => checkSignature(store, s, trust));
}

export { resolveTrust, NAMESPACE };

/**
 * `--sign` (or `sign: true` in config): check the key is there before any work is done, and
 * return the signer to call once the record is written (undefined: not signing).
 */
export function signerFor(store: Store, flag: boolean | undefined): ((id: string) => SignResult) | undefined {
  if (!(flag ?? signsByDefault(store))) return undefined;
  resolveSigningKey(store).dispose();
  return (id) => signRecord(store, id);
}

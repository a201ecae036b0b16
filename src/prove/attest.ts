// `mlmeta attest REF`: in-toto Statement v1 with a SLSA Provenance v1 predicate for a model
// (or run), in a DSSE envelope signed with a PKCS#8 PEM key (ed25519 or ECDSA P-256) by
// node:crypto. In-toto is an export, not the store's format: the records stay the truth.
// The builder is said to be what it is: a self-hosted mlmeta run, SLSA Build L1 at most.
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import type { Store } from '../api/store.js';
import type { RecordBody } from '../records/record.js';

export const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const BUILD_TYPE = 'urn:mlmeta:build-type:run:v1';
export const BUILDER_ID = 'urn:mlmeta:builder:self-hosted';

declare const MLMETA_VERSION: string | undefined;

/** DSSE v1 pre-authentication encoding: what the signature covers. */
export function pae(payloadType: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${body.length} `, 'utf8'), body]);
}

interface Signer { keyid: string; sign: (data: Buffer) => Buffer }

/** A PEM private key as `openssl genpkey` writes it; its bytes stay in memory only. */
function signerFrom(file: string): Signer {
  let key: KeyObject;
  try {
    key = createPrivateKey(fs.readFileSync(file));
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    throw new MlmetaError('E_SIGNATURE', errno === 'ENOENT' ? `key file ${file} does not exist` : `${file} is not an unencrypted PEM private key (PKCS#8, as openssl genpkey writes)`);
  }
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const keyid = createHash('sha256').update(spki).digest('hex');
  if (key.asymmetricKeyType === 'ed25519') return { keyid, sign: (d) => sign(null, d, key) };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { keyid, sign: (d) => sign('sha256', d, { key, dsaEncoding: 'der' }) };
  throw new MlmetaError('E_SIGNATURE', `${file}: attestations are signed with ed25519 or ECDSA P-256 keys, not ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''}`);
}

const rd = (store: Store, id: string, rec: RecordBody) => ({
  name: `${rec.kind}${rec.name !== undefined ? ` ${rec.name}${rec.version ? `@${rec.version}` : ''}` : ''}`,
  uri: `mlmeta:${id}`,
  // the record's id is the sha256 of its object file: anyone can check it with sha256sum
  digest: { sha256: id },
  annotations: { path: path.relative(store.layout.project, path.join(store.layout.objects, id.slice(0, 2), `${id.slice(2)}.yaml`)), ...(typeof rec.digest === 'string' ? { dataDigest: rec.digest } : {}) },
});

/** The in-toto Statement for one model version or run. */
export function statementFor(store: Store, id: string): Record<string, unknown> {
  const rec = store.read(id);
  const runId = rec.kind === 'run' ? id : (rec.parents ?? []).find((p) => p.role === 'run')?.id;
  const run = runId ? store.read(runId) : undefined;
  const files = (rec.artifacts ?? (Array.isArray(rec.outputs) ? rec.outputs : [])) as Array<{ path: string; sha256: string }>;
  if (!files.length) throw new MlmetaError('E_BAD_INPUT', `${rec.kind} ${rec.name ?? id.slice(0, 12)} has no artifact files to attest`);
  const deps: unknown[] = [];
  const commit = rec.code?.commit ?? run?.code?.commit;
  if (commit) deps.push({ name: 'code', ...(rec.code?.remote ? { uri: `git+${rec.code.remote}` } : {}), digest: { gitCommit: commit }, ...(rec.code?.dirty ? { annotations: { dirty: true } } : {}) });
  for (const p of [...(rec.parents ?? []), ...(run?.parents ?? [])]) {
    if (p.role === 'previous' || p.role === 'run' || p.role === 'manifest') continue;
    try { deps.push(rd(store, p.id, store.read(p.id))); } catch { deps.push({ uri: `mlmeta:${p.id}`, digest: { sha256: p.id }, annotations: { missing: true } }); }
  }
  const started = typeof run?.started === 'string' ? run.started : undefined;
  const finished = started && typeof run?.duration_seconds === 'number' ? new Date(Date.parse(started) + run.duration_seconds * 1000).toISOString() : undefined;
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: files.map((f) => ({ name: f.path, digest: { sha256: f.sha256 } })),
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {
      buildDefinition: {
        buildType: BUILD_TYPE,
        externalParameters: { ...(run?.command ? { command: run.command } : {}), ...(rec.params ?? run?.params ? { params: rec.params ?? run?.params } : {}), ...(run?.invocation ? { invocation: run.invocation } : {}) },
        internalParameters: { record: id, ...(runId ? { run: runId } : {}), ...(rec.env ?? run?.env ? { environment: rec.env ?? run?.env } : {}) },
        resolvedDependencies: deps,
      },
      runDetails: {
        builder: { id: BUILDER_ID, version: { mlmeta: typeof MLMETA_VERSION === 'string' ? MLMETA_VERSION : 'dev' } },
        metadata: { invocationId: `mlmeta:${runId ?? id}`, ...(started ? { startedOn: started.replace(/\.\d+Z$/, 'Z') } : {}), ...(finished ? { finishedOn: finished.replace(/\.\d+Z$/, 'Z') } : {}) },
        ...(rec.metrics ? { byproducts: [{ name: 'metrics', mediaType: 'application/json', content: Buffer.from(JSON.stringify(rec.metrics)).toString('base64') }] } : {}),
      },
    },
  };
}

/** One signed DSSE envelope (a JSON line) per ref. */
export function attest(store: Store, refs: string[], opts: { key: string }): string[] {
  const signer = signerFrom(path.resolve(store.cwd, opts.key));
  return refs.map((ref) => {
    const body = Buffer.from(JSON.stringify(statementFor(store, store.resolve(ref))), 'utf8');
    const sig = signer.sign(pae(PAYLOAD_TYPE, body));
    return JSON.stringify({ payload: body.toString('base64'), payloadType: PAYLOAD_TYPE, signatures: [{ keyid: signer.keyid, sig: sig.toString('base64') }] });
  });
}

// `verify [REF]`: re-hash and re-parse every object (or REF and its ancestors), check
// parents, and report findings with stable ids and severities (as git's fsck.h does).
// The table of findings is in docs/VERIFY.md, checked against FINDINGS by a test.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { parseRecordBytes, type RecordBody } from '../records/record.js';
import { canonicalYaml } from '../records/yaml.js';
import { cleanTempFiles, hasObject, listAllIds, MAX_OBJECT_BYTES, objectPath, readNoFollow, sha256Hex, strayEntries } from '../store/objects.js';
import type { Store } from './store.js';
import type { TrustOptions } from '../prove/keys.js';
import { signatureFindings } from '../prove/verify-signatures.js';

export type Severity = 'error' | 'warning' | 'info';

export const FINDINGS = {
  HASH_MISMATCH: { severity: 'error', about: "the object's bytes do not hash to its name (`mlmeta pull --repair` fetches it again from a remote that has it)" },
  UNREADABLE: { severity: 'error', about: 'the object file cannot be read' },
  BAD_YAML: { severity: 'error', about: 'the object is not valid UTF-8 YAML within the limits' },
  BAD_RECORD: { severity: 'error', about: 'the object is YAML but not a valid record' },
  BAD_NAME: { severity: 'error', about: 'a name, kind, parent role or alias name breaks the naming rules (e.g. control characters); readers treat the record as corrupt' },
  MISSING_PARENT: { severity: 'warning', about: 'a parent is not in this store (a partial copy)' },
  DIRTY_CODE: { severity: 'warning', about: 'the record was made from a work tree with uncommitted changes' },
  NO_DATA_LINEAGE: { severity: 'warning', about: 'a model with no dataset among its ancestors' },
  BAD_VERSION: { severity: 'warning', about: 'version is not 1 + the highest `previous` version of the same name' },
  PLANTED_LINK: { severity: 'error', about: 'a symlink in objects/ (at an object name or as a fan-out folder): never followed; the next write of that object replaces it, or remove it' },
  STRAY_FILE: { severity: 'warning', about: 'a file in objects/ that is not an object (e.g. a temp file left by a crash)' },
  BAD_SIGNATURE: { severity: 'error', about: 'a signature record that does not verify over the bytes of the record it signs (or is malformed)' },
  KEY_EXPIRED: { severity: 'error', about: "a signature made outside its key's valid-after/valid-before window in the allowed-signers file" },
  KEY_REVOKED: { severity: 'error', about: 'a signature by a key in the revocation file' },
  UNTRUSTED_SIGNATURE: { severity: 'warning', about: 'a valid signature by a key the allowed-signers file does not list' },
  NO_ALLOWED_SIGNERS: { severity: 'warning', about: 'signatures were found but no allowed-signers file is configured, so whose they are is unknown' },
  ALLOWED_SIGNERS_IN_REPO: { severity: 'warning', about: 'the allowed-signers file is committed in the repository: whoever can commit can add themselves' },
  NOT_CANONICAL: { severity: 'info', about: "valid, but not in mlmeta's canonical form (written by another tool)" },
} as const satisfies Record<string, { severity: Severity; about: string }>;

export type FindingId = keyof typeof FINDINGS;

export interface Finding {
  finding: FindingId;
  severity: Severity;
  id?: string;
  path?: string;
  message: string;
}

export interface VerifyReport {
  /** with --fix: the temp files left by dead writers that were removed */
  fixed?: string[];
  checked: number;
  errors: number;
  warnings: number;
  findings: Finding[];
}

function finding(finding: FindingId, message: string, where: { id?: string; path?: string } = {}): Finding {
  return { finding, severity: FINDINGS[finding].severity, ...where, message };
}

function checkObject(store: Store, id: string, findings: Finding[]): RecordBody | undefined {
  let bytes: Buffer;
  try {
    bytes = readNoFollow(objectPath(store.layout.objects, id), MAX_OBJECT_BYTES);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EFBIG') findings.push(finding('HASH_MISMATCH', `${id}: ${(e as { size: number }).size} bytes, larger than any record can be (not read)`, { id }));
    else findings.push(finding('UNREADABLE', `${id}: ${code ?? e}`, { id }));
    return undefined;
  }
  const actual = sha256Hex(bytes);
  if (actual !== id) {
    findings.push(finding('HASH_MISMATCH', `${id}: bytes hash to ${actual}`, { id }));
    return undefined;
  }
  let record: RecordBody;
  try {
    record = parseRecordBytes(bytes, id);
  } catch (e) {
    const msg = (e as Error).message;
    const kind = e instanceof MlmetaError && e.data.finding === 'BAD_NAME' ? 'BAD_NAME' : /not a valid record/.test(msg) ? 'BAD_RECORD' : 'BAD_YAML';
    findings.push(finding(kind, msg, { id }));
    return undefined;
  }
  if (canonicalYaml(record) !== bytes.toString('utf8')) {
    findings.push(finding('NOT_CANONICAL', `${id}: not in canonical form`, { id }));
  }
  return record;
}

export function verifyStore(store: Store, ref?: string, opts: { fix?: boolean; signatures?: boolean | TrustOptions } = {}): VerifyReport {
  const findings: Finding[] = [];
  const fixed = opts.fix ? cleanTempFiles(store.layout.objects) : [];
  const records = new Map<string, RecordBody>();
  let ids: string[];
  if (ref === undefined) {
    ids = listAllIds(store.layout.objects);
    for (const stray of strayEntries(store.layout.objects)) {
      if (stray.link) findings.push(finding('PLANTED_LINK', `objects/${stray.path} is a symlink (never followed)`, { path: `objects/${stray.path}` }));
      else findings.push(finding('STRAY_FILE', `objects/${stray.path} is not an object`, { path: `objects/${stray.path}` }));
    }
  } else {
    ids = [store.resolve(ref)];
  }
  // Walk: all ids, or REF and its ancestors.
  const queue = [...ids];
  const seen = new Set<string>(queue);
  const present = (id: string) => hasObject(store.layout.objects, id);
  while (queue.length) {
    const id = queue.pop()!;
    const rec = checkObject(store, id, findings);
    if (!rec) continue;
    records.set(id, rec);
    for (const p of rec.parents ?? []) {
      if (!present(p.id)) {
        findings.push(finding('MISSING_PARENT', `${id}: parent ${p.role} ${p.id} is not in this store`, { id }));
      } else if (ref !== undefined && !seen.has(p.id)) {
        seen.add(p.id);
        queue.push(p.id);
      }
    }
  }
  for (const [id, rec] of records) {
    if (rec.code?.dirty === true) findings.push(finding('DIRTY_CODE', `${id}: made from a dirty work tree`, { id }));
    if (rec.version !== undefined) {
      const prev = (rec.parents ?? []).filter((p) => p.role === 'previous').map((p) => records.get(p.id) ?? safeRead(store, p.id));
      const known = prev.filter((r): r is RecordBody => r !== undefined && r.kind === rec.kind && r.name === rec.name);
      if (known.length === prev.length) {
        const expected = 1 + Math.max(0, ...known.map((r) => r.version ?? 0));
        if (rec.version !== expected) findings.push(finding('BAD_VERSION', `${id}: version ${rec.version}, expected ${expected}`, { id }));
      }
    }
    if (rec.kind === 'model' && !hasDataAncestor(store, id, records)) {
      findings.push(finding('NO_DATA_LINEAGE', `${id}: model ${rec.name}@${rec.version} has no dataset among its ancestors`, { id }));
    }
  }
  if (opts.signatures) {
    for (const f of signatureFindings(store, records, ref === undefined, opts.signatures === true ? {} : opts.signatures)) findings.push(finding(f.finding, f.message, { id: f.id }));
  }
  findings.sort((a, b) => (a.id ?? a.path ?? '').localeCompare(b.id ?? b.path ?? '') || a.finding.localeCompare(b.finding));
  return {
    ...(opts.fix ? { fixed } : {}),
    checked: seen.size,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    findings,
  };
}

function safeRead(store: Store, id: string): RecordBody | undefined {
  try {
    return store.read(id);
  } catch (e) {
    if (e instanceof MlmetaError) return undefined;
    throw e;
  }
}

function hasDataAncestor(store: Store, id: string, records: Map<string, RecordBody>): boolean {
  const stack = [id];
  const seen = new Set(stack);
  while (stack.length) {
    const rec = records.get(stack.pop()!) ?? undefined;
    for (const p of rec?.parents ?? []) {
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      const parent = records.get(p.id) ?? safeRead(store, p.id);
      if (!parent) continue;
      if (parent.kind === 'dataset') return true;
      records.set(p.id, parent);
      stack.push(p.id);
    }
  }
  return false;
}

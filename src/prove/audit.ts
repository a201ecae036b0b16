// `mlmeta audit REF`: an auditor's report on one record (a model version, usually). Every
// finding is re-derived from the objects on disk, never from the index's word alone:
// the ancestry is read and hash-checked object by object; the index only answers "who
// points at this" (signatures, reproductions), which it derives from those same objects.
import { MlmetaError } from '../errors.js';
import { StatCache } from '../capture/stat-cache.js';
import { parseRef } from '../records/refs.js';
import type { RecordBody } from '../records/record.js';
import type { Store } from '../api/store.js';
import { datasetFiles, fileState } from './inputs.js';
import { resolveTrust, type TrustOptions } from './keys.js';
import { checkSignature, checkSignaturesOf, type SignatureCheck } from './sign.js';
import { runTool } from './tool.js';

export type AuditStatus = 'ok' | 'info' | 'warning' | 'broken';
export type AuditCheck = 'records' | 'lineage' | 'code' | 'data' | 'signatures' | 'alias' | 'reproductions' | 'trust';

export interface AuditItem {
  check: AuditCheck;
  status: AuditStatus;
  message: string;
  id?: string;
}

export interface AliasMoveAudit {
  id: string;
  target: string | null;
  created: string;
  author?: string;
  signed: boolean;
  principals: string[];
}

export interface AuditReport {
  ref: string;
  id: string;
  label: string;
  records: number;
  commits: number;
  items: AuditItem[];
  signatures: SignatureCheck[];
  aliasMoves?: AliasMoveAudit[];
  reproductions: Array<{ id: string; verdict: string; created: string; author?: string; signedBy: string[] }>;
  broken: number;
  warnings: number;
  ok: boolean;
  verdict: string;
}

export interface AuditOptions extends TrustOptions {
  /** false: do not re-hash dataset files on disk (--no-data) */
  data?: boolean;
  requireSignature?: boolean;
}

const labelOf = (r: RecordBody, id: string) => `${r.kind}${r.name !== undefined ? ` ${r.name}${r.version ? `@${r.version}` : ''}` : ''} ${id.slice(0, 12)}`;

/** REF and every ancestor, read from disk and hash-checked; missing and corrupt ones reported. */
function readAncestry(store: Store, root: string, items: AuditItem[]): Map<string, RecordBody> {
  const records = new Map<string, RecordBody>();
  // [id, the child that names it, as which role]
  const stack: Array<[string, string?, string?]> = [[root]];
  const seen = new Set([root]);
  while (stack.length) {
    const [id, child, role] = stack.pop()!;
    let rec: RecordBody;
    try {
      rec = store.read(id);
    } catch (e) {
      if (!(e instanceof MlmetaError)) throw e;
      if (e.code === 'E_NOT_FOUND' && child) {
        items.push({ check: 'records', status: 'broken', id: child, message: `missing parent: ${labelOf(records.get(child)!, child)} names ${role} ${id}, which is not in this store` });
      } else items.push({ check: 'records', status: 'broken', id, message: `${id.slice(0, 12)} cannot be trusted: ${e.message}` });
      continue;
    }
    records.set(id, rec);
    for (const p of rec.parents ?? []) {
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      stack.push([p.id, id, p.role]);
    }
  }
  return records;
}

/** Records whose ancestry (within `records`) reaches a dataset: one post-order walk, memoised. */
function reachingData(records: Map<string, RecordBody>): Set<string> {
  const memo = new Map<string, boolean>();
  const parentsOf = (id: string) => (records.get(id)?.parents ?? []).map((p) => p.id).filter((p) => records.has(p));
  for (const start of records.keys()) {
    const stack = [start];
    while (stack.length) {
      const id = stack[stack.length - 1]!;
      if (memo.has(id)) { stack.pop(); continue; }
      const pending = parentsOf(id).filter((p) => !memo.has(p));
      if (pending.length) { stack.push(...pending); continue; } // ids are hashes: no cycles
      memo.set(id, parentsOf(id).some((p) => records.get(p)!.kind === 'dataset' || memo.get(p) === true));
      stack.pop();
    }
  }
  return new Set([...memo].filter(([, v]) => v).map(([k]) => k));
}

/** Which commits exist, in one `git cat-file --batch-check`. */
function missingCommits(store: Store, commits: string[]): string[] | undefined {
  if (!commits.length) return [];
  let r;
  try {
    r = runTool('git', ['cat-file', '--batch-check=%(objectname) %(objecttype)'], { cwd: store.layout.project, env: store.env, input: commits.map((c) => `${c}^{commit}\n`).join('') });
  } catch {
    return undefined;
  }
  if (r.status !== 0) return undefined;
  const lines = r.stdout.split('\n');
  return commits.filter((_, i) => !/ commit$/.test(lines[i] ?? ''));
}

export function auditRecord(store: Store, ref: string, opts: AuditOptions = {}): AuditReport {
  const id = store.resolve(ref);
  const items: AuditItem[] = [];
  const records = readAncestry(store, id, items);
  const subject = records.get(id);
  if (!subject) throw new MlmetaError('E_CORRUPT_OBJECT', items[0]?.message ?? `${ref} cannot be read`);
  const label = labelOf(subject, id);
  if (!items.length) items.push({ check: 'records', status: 'ok', message: `${records.size} records present, every one hashes to its name` });

  // Data lineage: a model with no path to a dataset is the broken link.
  const withData = reachingData(records);
  const noData = [...records].filter(([rid, r]) => r.kind === 'model' && !withData.has(rid));
  for (const [rid, r] of noData) items.push({ check: 'lineage', status: 'broken', id: rid, message: `no data lineage: ${labelOf(r, rid)} has no path to a dataset` });
  if (!noData.length && (subject.kind === 'model' || subject.kind === 'run')) items.push({ check: 'lineage', status: withData.has(id) ? 'ok' : 'warning', message: withData.has(id) ? 'data lineage: the record reaches a dataset' : `no dataset among the ancestors of ${label}` });

  // Code: every recorded commit exists here; dirty trees said.
  const byCommit = new Map<string, string[]>();
  for (const [rid, r] of records) if (typeof r.code?.commit === 'string') byCommit.set(r.code.commit, [...(byCommit.get(r.code.commit) ?? []), rid]);
  const missing = missingCommits(store, [...byCommit.keys()]);
  if (missing === undefined) items.push({ check: 'code', status: 'warning', message: `commits not checked: ${store.layout.project} is not a git repository (or git is missing)` });
  else {
    for (const c of missing) items.push({ check: 'code', status: 'broken', id: byCommit.get(c)![0], message: `unknown commit ${c}, recorded by ${byCommit.get(c)!.map((x) => labelOf(records.get(x)!, x)).join(', ')} (git fetch?)` });
    if (!missing.length && byCommit.size) items.push({ check: 'code', status: 'ok', message: `${byCommit.size} code commit(s), all present in this repository` });
  }
  for (const [rid, r] of records) if (r.code?.dirty === true) items.push({ check: 'code', status: 'warning', id: rid, message: `${labelOf(r, rid)} was made from a work tree with uncommitted changes` });

  // Data on disk: the dataset itself, or the datasets the record (and its run) read directly.
  const direct = [...(subject.kind === 'dataset' ? [id] : []), ...[id, ...(subject.parents ?? []).filter((p) => p.role === 'run').map((p) => p.id)]
    .flatMap((x) => (records.get(x)?.parents ?? []).filter((p) => p.role === 'data' && records.get(p.id)?.kind === 'dataset').map((p) => p.id))];
  if (opts.data === false) items.push({ check: 'data', status: 'info', message: 'dataset files not checked (--no-data)' });
  else {
    const cache = new StatCache(store.layout.cache);
    for (const dsId of [...new Set(direct)]) {
      const ds = datasetFiles(store, dsId);
      const bad = ds.files.map((f) => ({ f, state: fileState(store.layout.project, f, cache) })).filter((x) => x.state !== 'ok');
      items.push(bad.length
        ? { check: 'data', status: 'broken', id: dsId, message: `dataset ${ds.label}: ${bad.length} of ${ds.files.length} file(s) no longer match the manifest: ${bad.slice(0, 10).map((b) => `${b.f.path} (${b.state})`).join(', ')}${bad.length > 10 ? ', …' : ''}` }
        : { check: 'data', status: 'ok', id: dsId, message: `dataset ${ds.label}: ${ds.files.length} file(s) match the manifest on disk` });
    }
    cache.save();
  }

  // Signatures anywhere in the ancestry; the record's own decide "signed".
  const trust = resolveTrust(store, opts);
  if (trust.allowedInRepo) items.push({ check: 'trust', status: 'warning', message: `the allowed-signers file ${trust.allowedSigners} is inside the repository: whoever can commit can add themselves` });
  if (!trust.allowedSigners) items.push({ check: 'trust', status: 'warning', message: 'no allowed-signers file (git config gpg.ssh.allowedSignersFile, or --allowed-signers): whose signatures they are is not checked' });
  const signatures = signaturesAmong(store, [...records.keys()]).map((s) => checkSignature(store, s, trust));
  for (const s of signatures) {
    if (s.status === 'valid' || s.status === 'no-trust') continue;
    const what = `signature ${s.id.slice(0, 12)} of ${s.signed ? labelOf(records.get(s.signed)!, s.signed) : '?'}`;
    const why = s.status === 'untrusted' ? 'untrusted signer' : s.status === 'bad' || s.status === 'malformed' ? 'bad signature' : s.status === 'expired' ? 'expired key' : s.status === 'revoked' ? 'revoked key' : s.status;
    items.push({ check: 'signatures', status: 'broken', id: s.id, message: `${why}: ${what}: ${s.detail}` });
  }
  const own = signatures.filter((s) => s.signed === id);
  const good = own.filter((s) => s.status === 'valid');
  if (good.length) items.push({ check: 'signatures', status: 'ok', message: `signed by ${[...new Set(good.map((s) => s.principal))].join(', ')}` });
  else if (own.some((s) => s.status === 'no-trust')) items.push({ check: 'signatures', status: opts.requireSignature ? 'broken' : 'warning', message: 'signed, but the signer cannot be checked without an allowed-signers file' });
  else if (!own.length) items.push({ check: 'signatures', status: opts.requireSignature ? 'broken' : 'warning', message: `unsigned: ${label} has no signature` });

  // NAME@ALIAS: every move of that alias signed by a trusted signer.
  let aliasMoves: AliasMoveAudit[] | undefined;
  const parsed = parseRef(ref);
  if (parsed.type === 'alias') {
    aliasMoves = aliasChain(store, parsed.name, parsed.alias).map((moveId) => {
      const m = store.read(moveId);
      const checks = checkSignaturesOf(store, moveId, trust);
      const valid = checks.filter((c) => c.status === 'valid');
      return { id: moveId, target: typeof m.target === 'string' ? m.target : null, created: m.created, ...(m.author ? { author: m.author } : {}), signed: valid.length > 0, principals: [...new Set(valid.map((c) => c.principal!))] };
    });
    const bad = aliasMoves.filter((m) => !m.signed);
    for (const m of bad) {
      const has = checkSignaturesOf(store, m.id, trust);
      const why = has.length ? (trust.allowedSigners ? 'signed only by an untrusted or invalid key' : 'signed, but no allowed-signers file to check the signer') : 'unsigned';
      items.push({ check: 'alias', status: 'broken', id: m.id, message: `${why} alias move ${m.id.slice(0, 12)}: ${parsed.name}@${parsed.alias} -> ${m.target ? m.target.slice(0, 12) : '(removed)'} on ${m.created}${m.author ? ` by ${m.author}` : ''}` });
    }
    if (!bad.length) items.push({ check: 'alias', status: 'ok', message: `all ${aliasMoves.length} move(s) of ${parsed.name}@${parsed.alias} signed by a trusted signer` });
  }

  // Reproductions on record (of the record, or of its run).
  const reproduced = [id, ...(subject.parents ?? []).filter((p) => p.role === 'run').map((p) => p.id)];
  const reproductions = [...new Set(reproduced.flatMap((x) => store.graph().childrenWithKind(x).filter((c) => c.kind === 'reproduction' && c.role === 'reproduces').map((c) => c.id)))].map((rid) => {
    const r = store.read(rid);
    // Anyone who can commit can plant a `verdict: bitwise`: only a trusted signature makes it more than a claim.
    const signedBy = [...new Set(checkSignaturesOf(store, rid, trust).filter((c) => c.status === 'valid').map((c) => c.principal!))];
    return { id: rid, verdict: String(r.verdict), created: r.created, ...(r.author ? { author: r.author } : {}), signedBy };
  });
  for (const r of reproductions) items.push({ check: 'reproductions', status: r.verdict === 'differs' ? 'warning' : 'info', id: r.id, message: `reproduced ${r.verdict} on ${r.created}${r.author ? ` by ${r.author}` : ''}${r.signedBy.length ? `, signed by ${r.signedBy.join(', ')}` : ' (unsigned: a claim anyone who can commit could make)'}` });
  if (!reproductions.length) items.push({ check: 'reproductions', status: 'info', message: 'no reproduction on record (mlmeta reproduce)' });

  const broken = items.filter((i) => i.status === 'broken');
  const warnings = items.filter((i) => i.status === 'warning').length;
  const verdict = broken.length
    ? `BROKEN: ${label}: ${broken.length} problem(s): ${[...new Set(broken.map((b) => b.message.split(':')[0]))].join('; ')}`
    : `OK: ${label}: ${records.size} records intact${good.length ? `, signed by ${[...new Set(good.map((s) => s.principal))].join(', ')}` : ', unsigned'}${reproductions.length ? `, reproduced ${reproductions.map((r) => `${r.verdict}${r.signedBy.length ? '' : ' (unsigned)'}`).join('/')}` : ''}${warnings ? ` (${warnings} warning(s))` : ''}`;
  return { ref, id, label, records: records.size, commits: byCommit.size, items, signatures, ...(aliasMoves ? { aliasMoves } : {}), reproductions, broken: broken.length, warnings, ok: broken.length === 0, verdict };
}

/** Every record of an alias chain, from its head(s) back along `previous`. */
function aliasChain(store: Store, name: string, alias: string): string[] {
  const graph = store.graph();
  const out: string[] = [];
  const stack = graph.heads('alias', `${name}@${alias}`);
  const seen = new Set(stack);
  while (stack.length) {
    const id = stack.pop()!;
    out.push(id);
    for (const p of graph.get(id)?.parents ?? []) {
      if (p.role === 'previous' && !seen.has(p.id) && graph.get(p.id)?.kind === 'alias') {
        seen.add(p.id);
        stack.push(p.id);
      }
    }
  }
  return out;
}

/** The signature records that sign any of these ids, in one query (an ancestry may hold thousands). */
function signaturesAmong(store: Store, ids: string[]): string[] {
  return store.graph().query((q) => q("SELECT DISTINCT e.child FROM json_each(?) j JOIN edges e ON e.parent = j.value JOIN records c ON c.id = e.child WHERE e.role = 'signed' AND c.kind = 'signature' ORDER BY e.child").pluck().all(JSON.stringify(ids))) as string[];
}

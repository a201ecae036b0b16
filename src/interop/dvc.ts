// `mlmeta import dvc [DIR]`: a DVC project (dvc.yaml + dvc.lock, DVC 2.x/3.x, and `.dvc`
// files) as mlmeta records. What maps to what (docs/INTEROP.md):
//   stage in dvc.lock        → `run` record (line = stage name): command, params, metrics,
//                              code deps with their md5s, role `data` → its data deps
//   data dep / out           → `dataset` record (line = its path) with DVC's md5 (and
//                              sha256 when the local file still has that md5); an out is
//                              made by its stage (role `run`)
//   out declared as a model artifact (or, with no model artifact declared, an out named
//   like a model)            → `model` record (line = its path) with its stage's params
//                              and the metrics of the stages that made or evaluated it
//   `.dvc` file out          → `dataset` record (imports keep repo url and rev_lock)
// Times and authors come from git (the commit that last changed the file), else mtime.
// `--all-commits` replays every commit that changed dvc.lock, oldest first: a stage or
// output whose entry changed becomes the next version of its line.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { hashFile } from '../capture/hash-file.js';
import { canonicalYaml, parseYaml, type Json } from '../records/yaml.js';
import { isInside } from '../store/paths.js';
import { compact, iso, redactField, redactInto, safeName } from './common.js';
import { atCommit, commitsChanging, workTree, type DvcSnapshot, type Stamp } from './dvc-source.js';
import type { ImportPlan, PlannedParent, PlannedRecord } from './plan.js';

export interface DvcOptions {
  allCommits?: boolean;
}

type Mapping = { [k: string]: Json };
const isMap = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Entry {
  path: string;
  md5?: string;
  hash?: string;
  size?: number;
  nfiles?: number;
  /** other checksums DVC keeps (etag, checksum, version_id…) and flags */
  extra: Mapping;
}

const ENTRY_KEYS = new Set(['path', 'md5', 'hash', 'size', 'nfiles']);

function entryOf(v: Json, base = ''): Entry | undefined {
  if (typeof v === 'string') return { path: path.posix.normalize(path.posix.join(base, v)), extra: {} };
  // dvc.yaml writes an entry with options as `{<path>: {cache: false, …}}`.
  if (isMap(v) && v.path === undefined && Object.keys(v).length === 1) {
    const [p, opts] = Object.entries(v)[0]!;
    if (opts === null || isMap(opts)) return { ...entryOf(p, base)!, extra: isMap(opts) ? { ...opts } : {} };
  }
  if (!isMap(v) || typeof v.path !== 'string') return undefined;
  const extra: Mapping = {};
  for (const [k, x] of Object.entries(v)) if (!ENTRY_KEYS.has(k) && x !== null) extra[k] = x;
  return {
    path: path.posix.normalize(path.posix.join(base, v.path)),
    md5: typeof v.md5 === 'string' ? v.md5 : undefined,
    hash: typeof v.hash === 'string' ? v.hash : undefined,
    size: typeof v.size === 'number' ? v.size : undefined,
    nfiles: typeof v.nfiles === 'number' ? v.nfiles : undefined,
    extra,
  };
}

function parseFile(snap: DvcSnapshot, rel: string): Mapping | undefined {
  const text = snap.read(rel);
  if (text === undefined) return undefined;
  let v: Json;
  try {
    v = parseYaml(text, rel);
  } catch (e) {
    throw new MlmetaError('E_IMPORT_SOURCE', `${rel}: ${(e as Error).message.replace(/^.*?is not acceptable YAML: /, 'not YAML: ')}`, { file: rel });
  }
  if (v === null) return {};
  if (!isMap(v)) throw new MlmetaError('E_IMPORT_SOURCE', `${rel}: not a YAML mapping`, { file: rel });
  return v;
}

/** `a.b: 1` → `{a: {b: 1}}`, merged into `into` (dvc.lock keeps single keys flat, groups nested). */
function nestInto(into: Mapping, key: string, value: Json): void {
  const parts = key.split('.');
  let m = into;
  for (const p of parts.slice(0, -1)) {
    if (!isMap(m[p])) m[p] = {};
    m = m[p] as Mapping;
  }
  const last = parts[parts.length - 1]!;
  m[last] = isMap(value) && isMap(m[last]) ? { ...(m[last] as Mapping), ...value } : value;
}

function paramsOf(lockParams: Json | undefined): Mapping {
  const out: Mapping = {};
  if (!isMap(lockParams)) return out;
  for (const [file, values] of Object.entries(lockParams)) {
    if (!isMap(values)) continue;
    // params.yaml is DVC's default: its keys stand alone; other files keep their name on top.
    const target = file === 'params.yaml' ? out : ((out[file] = isMap(out[file]) ? out[file] : {}) as Mapping);
    for (const [k, v] of Object.entries(values)) nestInto(target, k, v);
  }
  return out;
}

/** The numbers of a metrics file (JSON or YAML), nested as written; everything else dropped. */
function numbersOf(v: Json): Json | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (!isMap(v)) return undefined;
  const out: Mapping = {};
  for (const [k, x] of Object.entries(v)) {
    const n = numbersOf(x);
    if (n !== undefined) out[k] = n;
  }
  return Object.keys(out).length ? out : undefined;
}

const MODEL_RE = /(^|\/)[^/]*model[^/]*$|\.(pkl|pt|pth|h5|keras|onnx|joblib|safetensors|ckpt)$/i;

interface StageFacts {
  name: string;
  cmd: string;
  deps: Entry[];
  outs: Entry[];
  params: Mapping;
  metricFiles: string[];
  frozen?: boolean;
}

/** One state of the project (the work tree, or one commit) read into plain facts. */
function readState(snap: DvcSnapshot, warnings: string[]) {
  const lock = parseFile(snap, 'dvc.lock');
  const yamls = snap.dvcFiles.filter((f) => path.posix.basename(f) === 'dvc.yaml');
  const pipeline = parseFile(snap, 'dvc.yaml') ?? {};
  if (lock !== undefined) {
    if (lock.schema === undefined && !isMap(lock.stages)) throw new MlmetaError('E_IMPORT_SOURCE', 'dvc.lock: a DVC 1.x lock file (no `schema:`); DVC 3 refuses it too — run `dvc repro` or `dvc commit` with DVC 2+ first', { file: 'dvc.lock' });
    if (lock.schema !== undefined && String(lock.schema) !== '2.0') warnings.push(`dvc.lock: schema ${JSON.stringify(lock.schema)} is not 2.0; read as 2.0`);
  }
  // Metrics files named anywhere: top-level `metrics:` of every dvc.yaml (DVCLive writes its
  // own), relative to that file's folder.
  const metricFiles: string[] = [];
  const artifacts = new Map<string, { name: string; type?: string }>();
  for (const y of yamls) {
    const doc = y === 'dvc.yaml' ? pipeline : parseFile(snap, y) ?? {};
    const base = path.posix.dirname(y) === '.' ? '' : path.posix.dirname(y);
    for (const m of Array.isArray(doc.metrics) ? doc.metrics : []) {
      const e = entryOf(m, base);
      if (e) metricFiles.push(e.path);
    }
    if (isMap(doc.artifacts)) {
      for (const [name, a] of Object.entries(doc.artifacts)) {
        if (isMap(a) && typeof a.path === 'string') artifacts.set(path.posix.normalize(path.posix.join(base, a.path)), { name, type: typeof a.type === 'string' ? a.type : undefined });
      }
    }
  }
  const yamlStages = isMap(pipeline.stages) ? pipeline.stages : {};
  const stages: StageFacts[] = [];
  const lockStages = lock && isMap(lock.stages) ? lock.stages : {};
  for (const [name, raw] of Object.entries(lockStages)) {
    if (!isMap(raw)) continue;
    const def = isMap(yamlStages[name]) ? (yamlStages[name] as Mapping) : {};
    const cmd = Array.isArray(raw.cmd) ? raw.cmd.map(String).join(' && ') : typeof raw.cmd === 'string' ? raw.cmd : '';
    const list = (v: Json | undefined) => (Array.isArray(v) ? v.map((x) => entryOf(x)).filter((x): x is Entry => !!x) : []);
    const stageMetrics = list(def.metrics).map((e) => e.path);
    stages.push({ name, cmd, deps: list(raw.deps), outs: list(raw.outs), params: paramsOf(raw.params), metricFiles: stageMetrics, frozen: def.frozen === true ? true : undefined });
  }
  if (lock === undefined && Object.keys(yamlStages).length) warnings.push('dvc.yaml has stages but there is no dvc.lock (never run): stages not imported');
  // A metrics file belongs to the stage whose out holds it, else to a stage named in its path (DVCLive's `results/<stage>/`).
  for (const f of metricFiles) {
    const owner = stages.find((s) => s.outs.some((o) => f === o.path || f.startsWith(`${o.path}/`)))
      ?? stages.find((s) => f.split('/').slice(0, -1).includes(s.name));
    if (owner) owner.metricFiles.push(f);
    else warnings.push(`metrics file ${f} is not an output of any stage; not recorded`);
  }
  const dvcFiles = snap.dvcFiles.filter((f) => f.endsWith('.dvc')).map((f) => ({ file: f, doc: parseFile(snap, f) ?? {} }));
  return { stages, artifacts, dvcFiles };
}

function readMetrics(snap: DvcSnapshot, files: string[], warnings: string[]): Mapping {
  const out: Mapping = {};
  for (const f of [...new Set(files)]) {
    if (/\.toml$/i.test(f)) { warnings.push(`metrics file ${f}: TOML is not read; not recorded`); continue; }
    let text: string | undefined;
    try { text = snap.read(f); } catch (e) { if (!(e instanceof MlmetaError)) throw e; warnings.push(`metrics file ${e.message}`); continue; }
    if (text === undefined) { warnings.push(`metrics file ${f} is not here (a DVC-tracked output not pulled?); not recorded`); continue; }
    let v: Json;
    try { v = parseYaml(text, f); } catch (e) { warnings.push(`metrics file ${f}: ${(e as Error).message}; not recorded`); continue; }
    const n = numbersOf(v);
    if (isMap(n)) for (const [k, x] of Object.entries(n)) out[k] = isMap(out[k]) && isMap(x) ? { ...(out[k] as Mapping), ...x } : x;
  }
  return out;
}

function md5Hex(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

/**
 * sha256 of a local file, only when it is still the version DVC recorded (its md5 matches:
 * raw bytes for DVC 3, CRLF→LF first for DVC 2's text hashing). Folders are not matched.
 */
function localSha256(snap: DvcSnapshot, e: Entry): { sha256: string; size: number } | undefined {
  if (!snap.local || !e.md5 || e.md5.endsWith('.dir')) return undefined;
  const file = path.resolve(snap.root, e.path);
  // A path from the lock file is untrusted: only files inside the project are read.
  if (!isInside(snap.root, file)) return undefined;
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st?.isFile() || (e.size !== undefined && st.size !== e.size && e.hash === 'md5')) return undefined;
  const bytes = fs.readFileSync(file);
  const same = md5Hex(bytes) === e.md5 || (e.hash !== 'md5' && md5Hex(Buffer.from(bytes.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')) === e.md5);
  if (!same) return undefined;
  const h = hashFile(file);
  return { sha256: h.sha256, size: h.size };
}

function dvcFields(e: Entry, more: Record<string, unknown> = {}): Mapping {
  return compact({ path: e.path, md5: e.md5, hash: e.hash, size: e.size, nfiles: e.nfiles, ...e.extra, ...more }) as Mapping;
}

function digestsOf(e: Entry, local?: { sha256: string }): Mapping | undefined {
  const d: Mapping = {};
  if (e.md5) d.md5 = e.md5;
  for (const k of ['etag', 'checksum']) if (typeof e.extra[k] === 'string') d[k] = e.extra[k] as string;
  if (local) d.sha256 = local.sha256;
  return Object.keys(d).length ? d : undefined;
}

/** The content of a planned record apart from its time: what decides "unchanged since the last commit". */
function contentOf(r: PlannedRecord): string {
  const { created: _c, author: _a, code: _k, ...rest } = r.body;
  return canonicalYaml({ kind: r.kind, name: r.name, rest, parents: r.parents });
}

export function planDvc(dir: string, opts: DvcOptions = {}): ImportPlan {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new MlmetaError('E_NOT_FOUND', `${dir} is not a folder`);
  const warnings: string[] = [];
  const records: PlannedRecord[] = [];
  const snapshots: DvcSnapshot[] = opts.allCommits ? commitsChanging(dir, 'dvc.lock').map((c) => atCommit(dir, c)) : [workTree(dir)];
  if (opts.allCommits && snapshots.length === 0) throw new MlmetaError('E_NOT_FOUND', `no commit in ${dir} changed dvc.lock`);
  if (!opts.allCommits && !fs.existsSync(path.join(dir, 'dvc.lock')) && !fs.existsSync(path.join(dir, 'dvc.yaml')) && snapshots[0]!.dvcFiles.length === 0) {
    throw new MlmetaError('E_NOT_FOUND', `${dir} has no dvc.yaml, dvc.lock or .dvc file`);
  }
  // Across commits, a line whose content did not change keeps its record (and its time).
  const lastOfLine = new Map<string, { content: string; ref: string }>();
  let n = 0;
  const plan = (r: PlannedRecord): string => {
    const key = `${r.kind}\u0000${r.name}`;
    const content = contentOf(r);
    const last = lastOfLine.get(key);
    if (last && last.content === content) return last.ref;
    records.push(r);
    lastOfLine.set(key, { content, ref: r.ref });
    return r.ref;
  };
  for (const snap of snapshots) {
    n++;
    const stateWarnings: string[] = [];
    const { stages, artifacts, dvcFiles } = readState(snap, stateWarnings);
    const at = (s: Stamp) => compact({ created: iso(s.time), author: s.author, code: s.commit ? { commit: s.commit } : undefined });
    // Data known by path: `.dvc` outs, then stage outs as their stages are planned.
    const dataRefs = new Map<string, { ref: string; kind: string }>();
    for (const { file, doc } of dvcFiles) {
      const base = path.posix.dirname(file) === '.' ? '' : path.posix.dirname(file);
      const deps = Array.isArray(doc.deps) ? doc.deps : [];
      const importDep = deps.find((d) => isMap(d) && isMap(d.repo));
      for (const o of Array.isArray(doc.outs) ? doc.outs : []) {
        const e = entryOf(o, base);
        if (!e) { stateWarnings.push(`${file}: an out without a path; skipped`); continue; }
        const local = localSha256(snap, e);
        const imported = isMap(importDep) && isMap(importDep.repo) ? compact({ path: importDep.path, url: typeof importDep.repo.url === 'string' ? redactField(importDep.repo.url, `${file} repo url`, stateWarnings) : importDep.repo.url, rev_lock: importDep.repo.rev_lock }) : undefined;
        const ref = plan({
          ref: `${n}:dvcfile:${e.path}`, kind: 'dataset', name: safeName(e.path, `dvc-${e.md5 ?? 'data'}`), parents: [],
          body: compact({ ...at(snap.stampOf(file)), digests: digestsOf(e, local), size: local?.size ?? e.size, dvc: dvcFields(e, compact({ file, stage_md5: typeof doc.md5 === 'string' ? doc.md5 : undefined, frozen: doc.frozen === true ? true : undefined, import: imported })) }),
        });
        dataRefs.set(e.path, { ref, kind: 'dataset' });
      }
    }
    const lockStamp = snap.stampOf('dvc.lock');
    const producers = new Map<string, StageFacts>();
    for (const s of stages) for (const o of s.outs) producers.set(o.path, s);
    const hasModelArtifact = [...artifacts.values()].some((a) => a.type === 'model');
    const isModel = (p: string) => (hasModelArtifact ? artifacts.get(p)?.type === 'model' : MODEL_RE.test(p));
    const metricsOf = new Map(stages.map((s) => [s.name, readMetrics(snap, s.metricFiles, stateWarnings)]));
    // Stages in dependency order (a stage after the stages whose outs it uses).
    const ordered: StageFacts[] = [];
    const visiting = new Set<string>();
    const visit = (s: StageFacts) => {
      if (ordered.includes(s) || visiting.has(s.name)) return;
      visiting.add(s.name);
      for (const d of s.deps) { const p = producers.get(d.path); if (p && p !== s) visit(p); }
      visiting.delete(s.name);
      ordered.push(s);
    };
    for (const s of [...stages].sort((a, b) => (a.name < b.name ? -1 : 1))) visit(s);
    for (const s of ordered) {
      const parents: PlannedParent[] = [];
      const codeDeps: Mapping[] = [];
      for (const d of s.deps) {
        let known = dataRefs.get(d.path);
        if (!known && (producers.has(d.path) || d.md5?.endsWith('.dir'))) {
          // A data folder no stage or .dvc file produced here: a dataset of its own.
          const local = localSha256(snap, d);
          const ref = plan({ ref: `${n}:dep:${d.path}`, kind: 'dataset', name: safeName(d.path, `dvc-${d.md5 ?? 'data'}`), parents: [], body: compact({ ...at(lockStamp), digests: digestsOf(d, local), size: local?.size ?? d.size, dvc: dvcFields(d) }) });
          known = { ref, kind: 'dataset' };
          dataRefs.set(d.path, known);
        }
        if (known) parents.push({ role: known.kind === 'model' ? 'model' : 'data', ref: known.ref });
        else codeDeps.push(dvcFields(d));
      }
      const params: Mapping = structuredClone(s.params);
      redactInto(params, `stage ${s.name} param`, stateWarnings);
      const runRef = plan({
        ref: `${n}:stage:${s.name}`, kind: 'run', name: safeName(s.name, 'dvc-stage'), parents,
        body: compact({
          ...at(lockStamp), status: 'succeeded', command: s.cmd, params, metrics: metricsOf.get(s.name),
          dvc: compact({ stage: s.name, cmd: s.cmd, deps: codeDeps.length ? codeDeps : undefined, outs: s.outs.map((o) => dvcFields(o)), frozen: s.frozen }),
        }),
      });
      for (const o of s.outs) {
        const model = isModel(o.path);
        const local = localSha256(snap, o);
        // A model carries its stage's params and the metrics of the stages that made or used it.
        const judged = model ? stages.filter((x) => x === s || x.deps.some((d) => d.path === o.path)) : [];
        const metrics: Mapping = {};
        for (const x of judged) Object.assign(metrics, metricsOf.get(x.name));
        const artifact = artifacts.get(o.path);
        const ref = plan({
          ref: `${n}:out:${o.path}`, kind: model ? 'model' : 'dataset', name: safeName(o.path, `dvc-${o.md5 ?? 'out'}`), parents: [{ role: 'run', ref: runRef }],
          body: compact({ ...at(lockStamp), digests: digestsOf(o, local), size: local?.size ?? o.size, params: model ? params : undefined, metrics: model ? metrics : undefined, dvc: dvcFields(o, compact({ stage: s.name, artifact: artifact?.name, artifact_type: artifact?.type })) }),
        });
        dataRefs.set(o.path, { ref, kind: model ? 'model' : 'dataset' });
      }
    }
    const label = snap.local ? '' : `commit ${snap.stampOf('dvc.lock').commit?.slice(0, 12)}: `;
    warnings.push(...stateWarnings.map((w) => label + w));
  }
  return { tool: 'dvc', records, warnings: [...new Set(warnings)] };
}

// `status`: compare the newest dataset and model versions with the work tree.
// Datasets: re-hash their recorded paths (stat cache makes unchanged files free) and name
// the files added, removed or changed since the manifest. Models: artifacts missing or
// changed on disk, and data that has moved on (the model used an older dataset version, or
// the data on disk no longer matches the version it used).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hashFile } from '../capture/hash-file.js';
import { pathKey, type FileEntry } from '../capture/data-files.js';
import { hashData } from './dataset.js';
import { MlmetaError } from '../errors.js';
import { isInside } from '../store/paths.js';
import type { Store } from './store.js';

export interface DatasetStatus {
  id: string;
  name: string;
  version: number;
  /** `unchecked`: the record's paths or files could not be checked (see `problem`) */
  state: 'clean' | 'changed' | 'missing' | 'unchecked';
  added: string[];
  removed: string[];
  changed: string[];
  problem?: string;
}

export interface ArtifactStatus {
  path: string;
  state: 'clean' | 'changed' | 'missing' | 'unchecked';
  problem?: string;
}

/**
 * Where a recorded path is on disk, if it may be looked at: records come from anyone with
 * commit access, so a relative path must stay inside the project, and an absolute one is
 * followed only for data recorded as outside the project.
 */
function onDisk(store: Store, recorded: string, outsideAllowed: boolean): string | undefined {
  if (path.isAbsolute(recorded)) return outsideAllowed ? recorded : undefined;
  const abs = path.join(store.layout.project, recorded);
  return isInside(store.layout.project, abs) ? abs : undefined;
}

const problemOf = (e: unknown) => (e instanceof MlmetaError ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? e));

export interface ModelStatus {
  id: string;
  name: string;
  version: number;
  state: 'clean' | 'stale';
  artifacts: ArtifactStatus[];
  /** data the model was trained on that has a newer version, or that changed on disk */
  data: Array<{ id: string; name: string; version: number; newer?: string; changedOnDisk: boolean }>;
}

export interface StatusReport {
  datasets: DatasetStatus[];
  models: ModelStatus[];
}

function diffFiles(recorded: FileEntry[], now: FileEntry[]): Pick<DatasetStatus, 'added' | 'removed' | 'changed'> {
  const before = new Map(recorded.map((f) => [pathKey(f), f]));
  const after = new Map(now.map((f) => [pathKey(f), f]));
  const added = now.filter((f) => !before.has(pathKey(f))).map((f) => f.path);
  const removed = recorded.filter((f) => !after.has(pathKey(f))).map((f) => f.path);
  const changed = now.filter((f) => before.has(pathKey(f)) && before.get(pathKey(f))!.sha256 !== f.sha256).map((f) => f.path);
  return { added, removed, changed };
}

async function datasetStatus(store: Store, id: string): Promise<DatasetStatus> {
  const s = store.graph().full(id)!;
  const base = { id, name: s.name!, version: s.version ?? 1, added: [], removed: [], changed: [] };
  const paths = Array.isArray(s.paths) ? (s.paths as unknown[]) : [];
  const manifestId = (s.parents ?? []).find((p) => p.role === 'manifest')?.id;
  if (!paths.length || !manifestId) return { ...base, state: 'clean' };
  const abs: string[] = [];
  for (const p of paths) {
    const where = typeof p === 'string' ? onDisk(store, p, s.outside_project === true) : undefined;
    if (where === undefined) return { ...base, state: 'unchecked', problem: `recorded path ${JSON.stringify(p)} is outside the project; not looked at` };
    abs.push(where);
  }
  try {
    const existing = abs.filter((p) => fs.existsSync(p));
    const recorded = (store.read(manifestId).files as FileEntry[] | undefined) ?? [];
    if (existing.length === 0) return { ...base, state: 'missing', removed: recorded.map((f) => f.path) };
    // The dataset's own --exclude globs (stored with it) still apply, or excluded files show as added.
    const exclude = Array.isArray(s.exclude) ? s.exclude.filter((x): x is string => typeof x === 'string') : [];
    const now = await hashData(store, existing, exclude);
    const d = diffFiles(recorded, now.files);
    const state = d.added.length || d.removed.length || d.changed.length ? 'changed' : 'clean';
    return { ...base, state, ...d };
  } catch (e) {
    // One dataset that cannot be checked (a planted record, a FIFO where data was) must not
    // hide the status of every other one.
    return { ...base, state: 'unchecked', problem: problemOf(e) };
  }
}

export async function statusOf(store: Store): Promise<StatusReport> {
  const graph = store.graph();
  const datasets: DatasetStatus[] = [];
  const models: ModelStatus[] = [];
  const byId = new Map<string, DatasetStatus>();
  for (const key of graph.lineKeys()) {
    const [kind, name] = key.split('\u0000') as [string, string];
    if (kind !== 'dataset') continue;
    for (const id of graph.heads(kind, name)) {
      const st = await datasetStatus(store, id);
      datasets.push(st);
      byId.set(id, st);
    }
  }
  for (const key of graph.lineKeys()) {
    const [kind, name] = key.split('\u0000') as [string, string];
    if (kind !== 'model') continue;
    for (const id of graph.heads(kind, name)) {
      const s = graph.full(id)!;
      const artifacts: ArtifactStatus[] = [];
      for (const a of s.artifacts ?? []) {
        const abs = onDisk(store, a.path, true);
        if (abs === undefined) {
          artifacts.push({ path: a.path, state: 'unchecked', problem: 'recorded path is outside the project; not looked at' });
          continue;
        }
        if (!fs.existsSync(abs)) {
          artifacts.push({ path: a.path, state: 'missing' });
          continue;
        }
        try {
          // A folder output (`run --output DIR`) carries its manifest; its sha256 is the folder's digest.
          const now = typeof (a as { manifest?: unknown }).manifest === 'string' ? (await hashData(store, [abs])).digest : hashFile(abs).sha256;
          artifacts.push({ path: a.path, state: now === a.sha256 ? 'clean' : 'changed' });
        } catch (e) {
          artifacts.push({ path: a.path, state: 'unchecked', problem: problemOf(e) });
        }
      }
      const data = (s.parents ?? []).filter((p) => p.role === 'data' && graph.get(p.id)).map((p) => {
        const d = graph.get(p.id)!;
        const heads = graph.heads('dataset', d.name!);
        const newer = heads.find((h) => h !== p.id);
        const changedOnDisk = heads.includes(p.id) && byId.get(p.id)?.state === 'changed';
        return { id: p.id, name: d.name!, version: d.version ?? 1, ...(newer ? { newer } : {}), changedOnDisk };
      });
      const stale = artifacts.some((a) => a.state !== 'clean') || data.some((d) => d.newer || d.changedOnDisk);
      models.push({ id, name, version: s.version ?? 1, state: stale ? 'stale' : 'clean', artifacts, data });
    }
  }
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
  return { datasets: datasets.sort(byName), models: models.sort(byName) };
}


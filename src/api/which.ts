// `which FILE`: the records that produced or used this exact content — artifacts of models
// and other records, outputs of runs, files of datasets — newest first, each with the run
// and data it came from. Matching is by content hash, so a renamed or copied file is found.
// When a dataset holds this content under several paths, the match names the asked file's
// own path if it is one of them (else the first), and `paths` lists them all. A folder is
// matched by its dataset-style digest: folder outputs of runs and models, and datasets.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hashPathsSync, recordedPath } from '../capture/data-files.js';
import { StatCache } from '../capture/stat-cache.js';
import { hashFile } from '../capture/hash-file.js';
import type { Store } from './store.js';

export interface WhichMatch {
  id: string;
  kind: string;
  name?: string;
  version?: number;
  created?: string;
  /** how the content appears in the record */
  as: 'artifact' | 'output' | 'dataset file' | 'dataset';
  /** the path it was recorded under: the asked file's own path when the record has it */
  path?: string;
  /** every path of a dataset that holds this content, when there are several */
  paths?: string[];
  /** the record's parents, for "from which run and data?" */
  parents: Array<{ role: string; id: string; label: string }>;
}

export interface WhichResult {
  file: string;
  sha256: string;
  size: number;
  matches: WhichMatch[];
}

export function whichFile(store: Store, file: string): WhichResult {
  const abs = path.resolve(store.cwd, file);
  const folder = fs.statSync(abs, { throwIfNoEntry: false })?.isDirectory() === true;
  const { sha256, size } = folder ? folderDigest(store, abs) : hashFile(abs, file);
  const asked = recordedPath(store.layout.project, abs).path;
  const graph = store.graph();
  const matches: WhichMatch[] = [];
  const add = (id: string, as: WhichMatch['as'], p: string | undefined, all?: string[]) => {
    const s = graph.full(id)!;
    matches.push({
      id, kind: s.kind, name: s.name, version: s.version, created: s.created, as, path: p, ...(all && all.length > 1 ? { paths: all } : {}),
      parents: (s.parents ?? []).filter((x) => x.role !== 'previous' && x.role !== 'manifest').map((x) => ({ role: x.role, id: x.id, label: graph.label(x.id) })),
    });
  };
  // The index's hashes table: one indexed lookup, whatever the store's size.
  const files = new Map<string, string[]>();
  if (folder) {
    // A folder's digest is a dataset's digest when the same files were recorded as one.
    for (const key of graph.lineKeys()) {
      const [kind, name] = key.split('\u0000') as [string, string];
      if (kind !== 'dataset') continue;
      for (const id of graph.line(kind, name)) {
        const d = graph.full(id);
        if (d?.digest === sha256) add(id, 'dataset', (d.paths as string[] | undefined)?.join(', '));
      }
    }
  }
  for (const h of graph.withHash(sha256)) {
    if (h.how !== 'file') add(h.id, h.how, h.path ?? undefined);
    else if (h.path !== null) files.set(h.id, [...(files.get(h.id) ?? []), h.path]);
  }
  for (const [manifest, all] of files) {
    const where = all.includes(asked) ? asked : all[0];
    for (const child of graph.childrenWithKind(manifest)) {
      if (child.role !== 'manifest') continue;
      // Datasets list their files in a manifest; so do folder outputs of runs and models.
      add(child.id, child.kind === 'dataset' ? 'dataset file' : child.kind === 'run' ? 'output' : 'artifact', where, all);
    }
  }
  matches.sort((a, b) => String(b.created ?? '').localeCompare(String(a.created ?? '')) || a.id.localeCompare(b.id));
  return { file, sha256, size, matches };
}

function folderDigest(store: Store, abs: string): { sha256: string; size: number } {
  const data = hashPathsSync([abs], { projectRoot: store.layout.project, cwd: store.cwd, cache: new StatCache(store.layout.cache) });
  return { sha256: data.digest, size: data.size };
}

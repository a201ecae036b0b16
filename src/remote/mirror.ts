// The sync repository (`.mlmeta/cache/sync.git`, derived, deletable) and the git tree that
// mirrors `objects/`: one subtree per fan-out folder, one blob per object. The tree is
// built incrementally: a fan-out folder whose mtime is unchanged (and not racy) reuses its
// cached subtree id, so adding one record to a 100k store re-hashes one folder, not 100k
// files. Objects are hash-checked before they are mirrored: a corrupt object is never sent.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import type { StoreLayout } from '../store/location.js';
import { listFanout, listIdsIn, readObject } from '../store/objects.js';
import { encodeTree, writeGitObject, type TreeEntry } from './git-objects.js';

const RACY_MS = 3000n;

export function syncGitDir(layout: StoreLayout): string {
  const dir = path.join(layout.cache, 'sync.git');
  if (!fs.existsSync(path.join(dir, 'HEAD'))) {
    for (const d of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    fs.writeFileSync(path.join(dir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n');
    fs.writeFileSync(path.join(dir, 'HEAD'), 'ref: refs/heads/main\n');
  }
  return dir;
}

interface FanCache {
  m: string;
  tree: string;
  blobs: Record<string, string>;
}

function objectExists(gitDir: string, oid: string): boolean {
  return fs.existsSync(path.join(gitDir, 'objects', oid.slice(0, 2), oid.slice(2)));
}

/**
 * The subtrees of the last mirror build: fan-out folder → {tree id, object count}. Every
 * object in such a subtree was in the local store when it was built (objects are never
 * removed), so a remote subtree with the same id needs no look inside.
 */
export function knownSubtrees(layout: StoreLayout): Map<string, { tree: string; count: number }> {
  try {
    const cache = JSON.parse(fs.readFileSync(path.join(layout.cache, 'sync-trees.json'), 'utf8')) as Record<string, FanCache>;
    return new Map(Object.entries(cache).map(([fan, c]) => [fan, { tree: c.tree, count: Object.keys(c.blobs).length }]));
  } catch {
    return new Map();
  }
}

/** Write blobs and trees for the store's objects; returns the root tree id and the count. */
export function buildStoreTree(layout: StoreLayout, gitDir: string): { tree: string; objects: number } {
  const cacheFile = path.join(layout.cache, 'sync-trees.json');
  let cache: Record<string, FanCache> = {};
  try {
    cache = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
  } catch {
    cache = {};
  }
  const next: Record<string, FanCache> = {};
  const root: TreeEntry[] = [];
  let count = 0;
  for (const fan of listFanout(layout.objects)) {
    const st = fs.statSync(path.join(layout.objects, fan), { bigint: true });
    const mtime = String(st.mtimeNs);
    const old = cache[fan];
    let entry: FanCache;
    if (old && old.m !== '' && old.m === mtime && objectExists(gitDir, old.tree)) {
      entry = old;
    } else {
      const racy = BigInt(Date.now()) * 1_000_000n - st.mtimeNs < RACY_MS * 1_000_000n;
      const blobs: Record<string, string> = {};
      const entries: TreeEntry[] = [];
      for (const id of listIdsIn(layout.objects, fan)) {
        const name = `${id.slice(2)}.yaml`;
        let oid = old?.blobs[name];
        if (!oid || !objectExists(gitDir, oid)) {
          let bytes: Buffer;
          try {
            bytes = readObject(layout.objects, id);
          } catch (e) {
            if (e instanceof MlmetaError && e.code === 'E_CORRUPT_OBJECT') {
              throw new MlmetaError('E_CORRUPT_OBJECT', `${e.message}; run \`mlmeta verify\` and fix the store before pushing`, { id });
            }
            throw e;
          }
          oid = writeGitObject(gitDir, 'blob', bytes);
        }
        blobs[name] = oid;
        entries.push({ mode: '100644', name, oid });
      }
      if (entries.length === 0) continue;
      entry = { m: racy ? '' : mtime, tree: writeGitObject(gitDir, 'tree', encodeTree(entries)), blobs };
    }
    next[fan] = entry;
    count += Object.keys(entry.blobs).length;
    root.push({ mode: '40000', name: fan, oid: entry.tree });
  }
  const tree = writeGitObject(gitDir, 'tree', encodeTree(root));
  try {
    fs.writeFileSync(`${cacheFile}.${process.pid}.tmp`, JSON.stringify(next));
    fs.renameSync(`${cacheFile}.${process.pid}.tmp`, cacheFile);
  } catch {
    /* only a cache */
  }
  return { tree, objects: count };
}

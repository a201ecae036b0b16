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
import { decodeTree, encodeTree, readLooseObject, writeGitObject, type TreeEntry } from './git-objects.js';

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
  /** the folder's mtime when the subtree was built ('' when racy) */
  m: string;
  tree: string;
  count: number;
}

function objectExists(gitDir: string, oid: string): boolean {
  return fs.existsSync(path.join(gitDir, 'objects', oid.slice(0, 2), oid.slice(2)));
}

/**
 * The subtrees of the last mirror build: fan-out folder → {tree id, object count}. Every
 * object in such a subtree was in the local store when it was built (objects are never
 * removed), so a remote subtree with the same id needs no look inside.
 */
/** The cached subtree of each fan-out folder; entries of any other shape are dropped. */
function readTreeCache(layout: StoreLayout): Record<string, FanCache> {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(layout.cache, 'sync-trees.json'), 'utf8')) as Record<string, FanCache>;
    return Object.fromEntries(Object.entries(raw).filter(([, c]) => typeof c?.tree === 'string' && typeof c.count === 'number' && typeof c.m === 'string'));
  } catch {
    return {};
  }
}

export function knownSubtrees(layout: StoreLayout): Map<string, Map<string, number>> {
  const known = new Map<string, Map<string, number>>();
  const add = (fan: string, tree: string, count: number) => (known.get(fan) ?? known.set(fan, new Map()).get(fan)!).set(tree, count);
  for (const [fan, c] of Object.entries(readTreeCache(layout))) add(fan, c.tree, c.count);
  try {
    const pulled = JSON.parse(fs.readFileSync(path.join(layout.cache, 'sync-pulled.json'), 'utf8')) as Record<string, [string, number]>;
    for (const [fan, [tree, count]] of Object.entries(pulled)) add(fan, tree, count);
  } catch {
    /* nothing pulled yet */
  }
  return known;
}

/** After a complete pull: every object of these remote subtrees is now here. */
export function rememberPulledSubtrees(layout: StoreLayout, subtrees: Record<string, [string, number]>): void {
  try {
    fs.mkdirSync(layout.cache, { recursive: true });
    const file = path.join(layout.cache, 'sync-pulled.json');
    fs.writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(subtrees));
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
  } catch {
    /* only a cache */
  }
}

/** Write blobs and trees for the store's objects; returns the root tree id and the count. */
export function buildStoreTree(layout: StoreLayout, gitDir: string): { tree: string; objects: number } {
  const cacheFile = path.join(layout.cache, 'sync-trees.json');
  const cache = readTreeCache(layout);
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
      // The previous subtree says which blobs exist already (no blob list is cached).
      const previous = old ? readLooseObject(gitDir, old.tree) : undefined;
      const blobs = new Map(previous?.type === 'tree' ? decodeTree(previous.body).map((e) => [e.name, e.oid] as [string, string]) : []);
      const entries: TreeEntry[] = [];
      for (const id of listIdsIn(layout.objects, fan)) {
        const name = `${id.slice(2)}.yaml`;
        let oid = blobs.get(name);
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
        entries.push({ mode: '100644', name, oid });
      }
      if (entries.length === 0) continue;
      entry = { m: racy ? '' : mtime, tree: writeGitObject(gitDir, 'tree', encodeTree(entries)), count: entries.length };
    }
    next[fan] = entry;
    count += entry.count;
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

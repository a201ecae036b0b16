// The sync repository (`.mlmeta/cache/sync.git`, derived, deletable) and the git trees that
// mirror `objects/`: one subtree per fan-out folder, one blob per object.
//
// Nothing here trusts a cache for *which* objects exist: the local tree is always built from
// the folder listings on disk now (a `git checkout` can remove objects from the work tree at
// any time). The only cache, `cache/sync-trees.json`, names the subtree last built for each
// folder, so an object already mirrored is not read and hashed again: its name (its SHA-256)
// fixes its bytes and so its blob id. A pushed tree is the union of the local tree, the
// remote tip's tree and our previous push, merged per fan-out subtree, so no object the
// remote (or we) ever had is left out.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { writeCacheFile, writeFileAtomic } from '../store/atomic.js';
import { RACY_MS } from '../store/racy.js';
import type { StoreLayout } from '../store/location.js';
import { FANOUT_DIR, OBJECT_FILE, listFanout, listIdsIn, readObjectsIn } from '../store/objects.js';
import { decodeTree, encodeTree, gitObjectId, readLooseObject, writeGitObject, type TreeEntry } from './git-objects.js';
import { gitAvailable } from './transport.js';
import { existingObjects, readGitObjects } from './object-reader.js';
import { syncRepoEnv } from './git-env.js';

const BASE_CONFIG = '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n';

/** The sync repository, created on first use. */
export function syncGitDir(layout: StoreLayout): string {
  const dir = path.join(layout.cache, 'sync.git');
  if (!fs.existsSync(path.join(dir, 'HEAD'))) {
    // the tree cache vouches for subtrees in this repository: a new one holds none (the cache
    // folder may be deleted in part; review 9)
    forgetMirrored(layout);
    for (const d of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    writeFileAtomic(path.join(dir, 'config'), BASE_CONFIG, { durable: false });
    writeFileAtomic(path.join(dir, 'HEAD'), 'ref: refs/heads/main\n', { durable: false });
  }
  scrubLegacySecrets(dir);
  return dir;
}

/**
 * Versions before 0.2 wrote the remote's URL (tokens included) into the config and named
 * remote-tracking refs after it. Remove both: no URL is kept on disk, refs are named by a hash.
 * They also kept one "previous push" for every remote (refs/mlmeta/local), which would carry
 * records pushed to one remote into pushes to another: it goes too.
 */
function scrubLegacySecrets(gitDir: string): void {
  fs.rmSync(path.join(gitDir, 'refs/mlmeta/local'), { force: true });
  const config = path.join(gitDir, 'config');
  try {
    if (/^\s*url\s*=/m.test(fs.readFileSync(config, 'utf8'))) writeFileAtomic(config, BASE_CONFIG, { durable: false });
  } catch {
    /* no config yet */
  }
  const remotes = path.join(gitDir, 'refs/mlmeta/remotes');
  let names: string[] = [];
  try {
    names = fs.readdirSync(remotes);
  } catch {
    return;
  }
  for (const n of names) if (!/^[0-9a-f]{40}$/.test(n)) fs.rmSync(path.join(remotes, n), { recursive: true, force: true });
}

/** A tree's fan-out subtrees: folder name → subtree id. Anything else in a root tree is ignored. */
export type Root = Map<string, string>;

export interface LocalTree {
  root: Root;
  /** objects per fan-out folder */
  counts: Map<string, number>;
}

function looseExists(gitDir: string, oid: string): boolean {
  return fs.existsSync(path.join(gitDir, 'objects', oid.slice(0, 2), oid.slice(2)));
}

function entriesOfLoose(gitDir: string, oid: string | undefined): TreeEntry[] {
  if (!oid) return [];
  const o = readLooseObject(gitDir, oid);
  return o?.type === 'tree' ? decodeTree(o.body) : [];
}

// Per fan-out folder: the subtree last known to mirror it, and a digest of the folder's
// listing then. A folder listed the same now is mirrored by that subtree, unread: its names
// fix its blobs, which went into the sync repository before the subtree was recorded.
// With them, the folder's stamp (inode, mtime, ctime, taken before the listing) and its number
// of objects: a folder whose stamp is the same was not listed again — adding, removing or
// renaming an entry changes a folder's mtime and ctime (and ctime cannot be set back). A
// stamp is only taken of a folder last changed RACY_MS before (a change in the same clock
// tick would not move the mtime). At 100k records listing the 256 folders took ~0.4 s of an
// incremental push, twice.
const TREE_CACHE = 'sync-trees-v2.json';
type CacheEntry = [tree: string, listing: string] | [tree: string, listing: string, stamp: string, count: number];
type TreeCache = Record<string, CacheEntry>;

function readTreeCache(layout: StoreLayout): TreeCache {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(layout.cache, TREE_CACHE), 'utf8')) as Record<string, unknown>;
    const hex40 = (x: unknown) => typeof x === 'string' && /^[0-9a-f]{40}$/.test(x);
    const ok = (e: [string, unknown]): e is [string, CacheEntry] =>
      FANOUT_DIR.test(e[0]) && Array.isArray(e[1]) && hex40(e[1][0]) && hex40(e[1][1]) &&
      (e[1].length === 2 || (e[1].length === 4 && typeof e[1][2] === 'string' && Number.isSafeInteger(e[1][3]) && e[1][3] > 0));
    return Object.fromEntries(Object.entries(raw).filter(ok));
  } catch {
    return {};
  }
}

function writeTreeCache(layout: StoreLayout, cache: TreeCache): void {
  writeCacheFile(path.join(layout.cache, TREE_CACHE), JSON.stringify(cache));
}

/** A fan-out folder's stamp (see TREE_CACHE), or '' when it is not a real folder or changed too recently to vouch for. */
function folderStamp(objectsDir: string, fan: string): string {
  let st: fs.BigIntStats;
  try {
    st = fs.lstatSync(path.join(objectsDir, fan), { bigint: true });
  } catch {
    return '';
  }
  if (!st.isDirectory() || Date.now() - Number(st.mtimeMs) < RACY_MS || Date.now() - Number(st.ctimeMs) < RACY_MS) return '';
  return `${st.dev}:${st.ino}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** A digest of a folder's listing (object names, sorted). */
function listingDigest(names: readonly string[]): string {
  const h = createHash('sha1');
  for (const n of names) h.update(n).update('\n');
  return h.digest('hex');
}

/**
 * Remember that these subtrees mirror the folders as listed now (after a pull wrote the
 * remote's objects): a subtree whose entries are exactly the folder's objects.
 */
export function rememberMirrored(layout: StoreLayout, subtrees: Subtrees, fans: Array<[fan: string, tree: string]>): void {
  if (fans.length === 0) return;
  const cache = readTreeCache(layout);
  for (const [fan, tree] of fans) {
    const entries = subtrees.all(tree);
    if (!entries || entries.some((e) => e.mode !== '100644' || !OBJECT_FILE.test(e.name))) continue;
    const names = entries.map((e) => e.name).sort();
    const stamp = folderStamp(layout.objects, fan); // before the listing: a change after it moves the folder's mtime
    const listing = listIdsIn(layout.objects, fan).map((id) => `${id.slice(2)}.yaml`);
    if (listing.length === names.length && listing.every((n, i) => n === names[i])) {
      cache[fan] = stamp && listing.length ? [tree, listingDigest(listing), stamp, listing.length] : [tree, listingDigest(listing)];
    }
  }
  writeTreeCache(layout, cache);
}

/**
 * The tree of the objects on disk now. A folder listed as when last mirrored keeps its
 * subtree, unread. In other folders, objects already mirrored reuse their blob; new ones
 * are read (hash-checked: a corrupt object is never sent) and written as blobs. With
 * `readNew: false` (pull) nothing is read: a folder holding an object not mirrored yet is
 * left out of the result, so the caller compares names instead.
 */
export async function buildLocalTree(layout: StoreLayout, gitDir: string, opts: { readNew: boolean }): Promise<LocalTree> {
  const cache = readTreeCache(layout);
  const root: Root = new Map();
  const counts = new Map<string, number>();
  const next: TreeCache = {};
  const changed: Array<{ fan: string; ids: string[]; digest: string; stamp: string }> = [];
  for (const fan of listFanout(layout.objects)) {
    const cached = cache[fan];
    const stamp = folderStamp(layout.objects, fan);
    if (cached && cached.length === 4 && stamp !== '' && cached[2] === stamp) {
      counts.set(fan, cached[3]);
      root.set(fan, cached[0]);
      next[fan] = cached;
      continue;
    }
    const ids = listIdsIn(layout.objects, fan);
    counts.set(fan, ids.length);
    if (ids.length === 0) continue;
    const digest = listingDigest(ids.map((id) => `${id.slice(2)}.yaml`));
    if (cached && cached[1] === digest) {
      root.set(fan, cached[0]);
      next[fan] = stamp ? [cached[0], digest, stamp, ids.length] : [cached[0], digest];
    } else changed.push({ fan, ids, digest, stamp });
  }
  // The folders that changed: their last subtrees name the blobs already mirrored.
  const subtrees = new Subtrees(gitDir);
  const previous = changed.map((c) => cache[c.fan]?.[0]).filter((t): t is string => t !== undefined);
  await subtrees.load(previous, { missingOk: true });
  const knownBlobs = await existingObjects(gitDir, previous.flatMap((t) => (subtrees.all(t) ?? []).map((e) => e.oid)));
  const trees: Array<[fan: string, entries: TreeEntry[], digest: string, stamp: string]> = [];
  const sink = opts.readNew ? new BlobSink(gitDir) : undefined;
  try {
    for (const { fan, ids, digest, stamp } of changed) {
      const last = cache[fan]?.[0];
      const known = new Map((last ? subtrees.all(last) ?? [] : []).filter((e) => knownBlobs.has(e.oid)).map((e) => [e.name, e.oid] as [string, string]));
      const unknown = ids.filter((id) => !known.has(`${id.slice(2)}.yaml`));
      if (unknown.length && !sink) continue; // pull: not mirrored, compared by name instead
      // The new objects, read and hash-checked (a corrupt object is never sent) with one
      // check of their folder, become blobs of the sync repository.
      if (sink && unknown.length) {
        let refused: MlmetaError | undefined;
        readObjectsIn(layout.objects, fan, (id, bytes) => {
          if (bytes instanceof MlmetaError) refused ??= bytes;
          else if (!refused) known.set(`${id.slice(2)}.yaml`, sink.add(bytes));
        }, unknown);
        if (refused) throw refusedForPush(refused);
        await sink.settle();
      }
      trees.push([fan, ids.map((id) => ({ mode: '100644', name: `${id.slice(2)}.yaml`, oid: known.get(`${id.slice(2)}.yaml`)! })), digest, stamp]);
    }
    await sink?.close();
  } finally {
    sink?.abort();
  }
  // Blobs first (above), then the subtrees that name them, then the cache that vouches for both.
  for (const [fan, entries, digest, stamp] of trees) {
    const tree = writeGitObject(gitDir, 'tree', encodeTree(entries));
    root.set(fan, tree);
    next[fan] = stamp ? [tree, digest, stamp, entries.length] : [tree, digest];
  }
  if (opts.readNew) writeTreeCache(layout, next);
  // a pull keeps the entries of folders it did not settle, and saves the stamps it could take
  else if (Object.entries(next).some(([fan, e]) => e.length === 4 && cache[fan]?.[2] !== e[2])) writeTreeCache(layout, { ...cache, ...next });
  return { root, counts };
}

/** Below this many new blobs, loose files; above, one pack (a file per blob is what makes a first push slow). */
const PACK_FROM = 64;

/**
 * Where new blobs go: with git, from the PACK_FROM-th on, into one pack through a
 * `git fast-import` started then and fed as the objects are read, so git compresses on
 * one core while this process reads and hashes on the other (blobs only: no ref, no
 * commit; measured faster than building the pack here, where zlib's set-up per object
 * dominates); the first ones, or all without git, as loose objects.
 */
const NEWLINE = Buffer.from('\n');

class BlobSink {
  private loose: Buffer[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<{ code: number | null; stderr: string }> | undefined;
  constructor(private readonly gitDir: string) {}

  /** Queue a blob; its id. */
  add(bytes: Buffer): string {
    if (this.child) this.feed(bytes);
    else if (!gitAvailable()) return writeGitObject(this.gitDir, 'blob', bytes);
    else {
      this.loose.push(bytes);
      if (this.loose.length >= PACK_FROM) this.start();
    }
    return gitObjectId('blob', bytes);
  }

  private start(): void {
    // fast-import sets up and ends a zlib stream per blob; glibc's malloc then gives the top
    // of the heap back to the system and takes it again each time (4 brk calls per blob):
    // 20k blobs took 11–22 s here, nearly all system time, and 0.5 s with trimming put off.
    // Ignored where the C library is not glibc; a value the user set is kept.
    const env = { MALLOC_TRIM_THRESHOLD_: String(256 * 1024 * 1024), ...syncRepoEnv() };
    const child = spawn('git', ['--git-dir', this.gitDir, 'fast-import', '--quiet'], { stdio: ['pipe', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    this.exited = new Promise((resolve) => {
      child.on('error', (e) => resolve({ code: -1, stderr: e.message }));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    child.stdin!.on('error', () => { /* the exit status says what went wrong */ });
    this.child = child;
    for (const b of this.loose.splice(0)) this.feed(b);
  }

  /** fast-import's input not yet handed to the pipe: one write per folder, not three per blob */
  private pending: Buffer[] = [];

  private feed(bytes: Buffer): void {
    this.pending.push(Buffer.from(`blob\ndata ${bytes.length}\n`), bytes, NEWLINE);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.child!.stdin!.write(Buffer.concat(this.pending));
    this.pending = [];
  }

  /**
   * Let git take what was queued (the event loop must turn for a pipe to be written), and
   * wait for it to catch up when far behind: memory stays bounded on a huge first push.
   */
  async settle(): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin) return;
    this.flush();
    if (stdin.writableLength > 64 * 1024 * 1024) await new Promise((resolve) => { stdin.once('drain', resolve); stdin.once('error', resolve); });
    else await new Promise((resolve) => setImmediate(resolve));
  }

  /** Every blob written: the pack finished, or the loose objects. */
  async close(): Promise<void> {
    for (const b of this.loose.splice(0)) writeGitObject(this.gitDir, 'blob', b);
    if (!this.child) return;
    this.flush();
    this.child.stdin!.end();
    const r = await this.exited!;
    this.child = undefined;
    if (r.code !== 0) throw new MlmetaError('E_IO', `cannot write the sync repository's pack: ${r.stderr.trim().split('\n')[0]}`);
  }

  /** After a failure: no pack is finished (fast-import is stopped before its input ends). */
  abort(): void {
    if (!this.child) return;
    this.child.kill('SIGKILL');
    this.child = undefined;
  }
}

/** Forget every mirrored subtree: the next push reads and checks each folder again. */
export function forgetMirrored(layout: StoreLayout): void {
  fs.rmSync(path.join(layout.cache, TREE_CACHE), { force: true });
}

/** A refused object stops the push; a corrupt one is named with what to do. */
function refusedForPush(e: MlmetaError): MlmetaError {
  if (e.code !== 'E_CORRUPT_OBJECT') return e;
  return new MlmetaError('E_CORRUPT_OBJECT', `${e.message}; run \`mlmeta verify\` and fix the store before pushing`, e.data);
}

/** Subtrees of the sync repository (loose or packed), read once each. */
export class Subtrees {
  private readonly memo = new Map<string, TreeEntry[]>();
  constructor(private readonly gitDir: string) {}

  /** Read these subtrees in one batch; a missing one is an error (the fetch was incomplete) unless `missingOk`. */
  async load(oids: Iterable<string>, opts: { missingOk?: boolean } = {}): Promise<void> {
    const want = [...new Set(oids)].filter((o) => !this.memo.has(o));
    const loose = want.filter((o) => looseExists(this.gitDir, o));
    for (const o of loose) this.memo.set(o, entriesOfLoose(this.gitDir, o));
    const rest = want.filter((o) => !this.memo.has(o));
    const bodies = await readGitObjects(this.gitDir, rest);
    for (const o of rest) {
      const t = bodies.get(o);
      if (!t || t.type !== 'tree') {
        if (opts.missingOk) continue;
        throw new MlmetaError('E_REMOTE', `tree ${o} is missing from the fetched data`);
      }
      this.memo.set(o, decodeTree(t.body));
    }
  }

  /** Every entry of a loaded subtree; undefined when it was missing. */
  all(oid: string): TreeEntry[] | undefined {
    return this.memo.get(oid);
  }

  /** The object entries of a loaded subtree (names of the object form only). */
  objects(oid: string): TreeEntry[] {
    const all = this.memo.get(oid);
    if (!all) throw new Error(`subtree ${oid} was not loaded`);
    return all.filter((e) => e.mode === '100644' && OBJECT_FILE.test(e.name));
  }
}

/** The fan-out subtrees of a root tree (loose or packed). */
export async function rootOf(gitDir: string, tree: string): Promise<Root> {
  const o = readLooseObject(gitDir, tree) ?? (await readGitObjects(gitDir, [tree])).get(tree);
  if (!o || o.type !== 'tree') throw new MlmetaError('E_REMOTE', `tree ${tree} is missing from the fetched data`);
  return new Map(decodeTree(o.body).filter((e) => e.mode === '40000' && FANOUT_DIR.test(e.name)).map((e) => [e.name, e.oid] as [string, string]));
}

export interface UnionTree {
  tree: string;
  /** objects in the union */
  objects: number;
  /** objects in the union that `remote` lacks */
  added: number;
}

/**
 * The union of the local tree, our previous push and the remote tip, per fan-out subtree.
 * A subtree that the local tree or the remote has and every other source agrees with is
 * taken as is, unread; other folders are read and merged by name (a name fixes the bytes,
 * so any source's blob will do; ours come first). An entry only our previous push has,
 * whose blob is gone from the sync repository (a half-deleted cache), cannot be sent and is
 * left out.
 */
export async function unionTree(gitDir: string, local: LocalTree, previous: Root, remote: Root): Promise<UnionTree> {
  const fans = [...new Set([...local.root.keys(), ...previous.keys(), ...remote.keys()])].sort();
  const sourcesOf = (f: string) => [...new Set([local.root.get(f), previous.get(f), remote.get(f)].filter((x): x is string => x !== undefined))];
  const asIs = (f: string) => {
    const s = sourcesOf(f);
    return s.length === 1 && (s[0] === local.root.get(f) || s[0] === remote.get(f)) ? s[0] : undefined;
  };
  // Read, in one batch, every subtree that is merged or has to be counted (the common case:
  // every folder as is and local, nothing to read).
  const subtrees = new Subtrees(gitDir);
  await subtrees.load(fans.flatMap((f) => {
    const as = asIs(f);
    return as !== undefined && as === local.root.get(f) ? [] : sourcesOf(f);
  }));

  // The entries to merge per folder, in order of preference; previous-only ones checked in one batch.
  const merging = new Map<string, { mine: TreeEntry[]; previousOnly: TreeEntry[]; theirs: TreeEntry[] }>();
  for (const fan of fans.filter((f) => asIs(f) === undefined)) {
    const [l, p, r] = [local.root.get(fan), previous.get(fan), remote.get(fan)];
    const mine = l ? subtrees.objects(l) : [];
    const names = new Set(mine.map((e) => e.name));
    const theirs = r ? subtrees.objects(r) : [];
    for (const e of theirs) names.add(e.name);
    merging.set(fan, { mine, theirs, previousOnly: (p ? subtrees.objects(p) : []).filter((e) => !names.has(e.name)) });
  }
  const present = await existingObjects(gitDir, [...merging.values()].flatMap((m) => m.previousOnly.map((e) => e.oid)));

  const root: TreeEntry[] = [];
  let objects = 0;
  let added = 0;
  for (const fan of fans) {
    const r = remote.get(fan);
    let oid = asIs(fan);
    let count: number;
    if (oid !== undefined) {
      count = oid === local.root.get(fan) ? local.counts.get(fan)! : subtrees.objects(oid).length;
    } else {
      const m = merging.get(fan)!;
      const byName = new Map<string, TreeEntry>();
      for (const e of [...m.mine, ...m.previousOnly.filter((e) => present.has(e.oid)), ...m.theirs]) if (!byName.has(e.name)) byName.set(e.name, e);
      if (byName.size === 0) continue;
      oid = writeGitObject(gitDir, 'tree', encodeTree([...byName.values()]));
      count = byName.size;
    }
    // The union holds every object entry of the remote's subtree, so this is what it lacks.
    added += count - (r === undefined ? 0 : r === oid ? count : subtrees.objects(r).length);
    objects += count;
    root.push({ mode: '40000', name: fan, oid });
  }
  return { tree: writeGitObject(gitDir, 'tree', encodeTree(root)), objects, added };
}

// push and pull of the store through `refs/mlmeta/store` on any git remote.
// pull: fetch the ref, find the remote's objects that are not on disk now (a fan-out folder
// whose subtree equals the one built from the folder's current listing is skipped unread),
// check each (name form and SHA-256), then add them all — or none, if any is refused.
// push: pull first, then publish the union of the objects on disk, our previous push and
// the remote tip (mirror.ts), as a commit whose parents are the previous local and remote
// tips, fast-forward only; if someone pushed meanwhile, do it again (bounded). Branches and
// the work tree are never touched, and a record is never lost, whoever pushes first and
// whatever was checked out in between. Both hold `.mlmeta/cache/locks/sync.lock`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { parseRecordBytes } from '../records/record.js';
import { writeFileAtomic } from '../store/atomic.js';
import { ensureGitignore, type StoreLayout } from '../store/location.js';
import { withLockAsync } from '../store/lock.js';
import { MAX_OBJECT_BYTES, objectFilesIn, readObjectsIn, sha256Hex, writeObjectsBulk } from '../store/objects.js';
import { encodeCommit, readLooseObject, writeGitObject } from './git-objects.js';
import { Subtrees, buildLocalTree, forgetMirrored, rememberMirrored, rootOf, syncGitDir, unionTree, type Root } from './mirror.js';
import { eachGitObject, existingObjects, readGitObject } from './object-reader.js';
import { STORE_REF, fetchTip, pushCommit, remoteKey, remoteTip, resolveRemote, type Remote } from './transport.js';

const MAX_ATTEMPTS = 5;
/** Our last successful push: its tree is part of every later push (records are forever). */
/**
 * Our previous push to one remote (named by its key): what that remote had from us, so a
 * later push there never drops it. Never shared between remotes: records pushed to an
 * internal remote must not reach a public one through another remote's push.
 */
const pushedRef = (remote: Remote) => `refs/mlmeta/pushed/${remoteKey(remote)}`;

export interface PullResult {
  /** the remote, without credentials */
  remote: string;
  tip?: string;
  /** objects on the remote */
  remoteObjects: number;
  /** objects added to the local store */
  received: number;
  /** objects of the remote that are not records (right hash, but not a valid record): not pulled */
  skipped: string[];
}

export interface PushResult {
  /** the remote, without credentials */
  remote: string;
  commit?: string;
  /** objects the remote did not have */
  sent: number;
  /** objects received first (someone else had pushed) */
  received: number;
  upToDate: boolean;
  /** 1, or more when the remote moved between our look and our push */
  attempts: number;
  /** objects of the remote that are not records: not pulled (see PullResult) */
  skipped: string[];
}

export interface SyncOptions {
  /** progress on stderr for long transfers */
  progress?: boolean;
  /**
   * Where the command runs: a remote name is looked up in this folder's git repository and a
   * path is relative to it. Default: the folder that holds the store.
   */
  cwd?: string;
  /**
   * Pull only: read every object this store holds under a name the remote has, and fetch
   * again those that are damaged (wrong bytes, a planted link). A plain pull compares names
   * only, so an object whose bytes were lost (a disk fault, a crash of another tool) stays
   * damaged until this is run. Costs a read of the store.
   */
  repair?: boolean;
}

function readRef(gitDir: string, ref: string): string | undefined {
  try {
    const v = fs.readFileSync(path.join(gitDir, ref), 'utf8').trim();
    return /^[0-9a-f]{40}$/.test(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function writeRef(gitDir: string, ref: string, oid: string): void {
  const file = path.join(gitDir, ref);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, `${oid}\n`);
}

async function treeOfCommit(gitDir: string, commit: string): Promise<string> {
  const c = await readGitObject(gitDir, commit);
  const m = /^tree ([0-9a-f]{40})/.exec(c.body.toString('utf8'));
  if (c.type !== 'commit' || !m) throw new MlmetaError('E_REMOTE', `${commit} on the remote is not a commit`);
  return m[1]!;
}

/** Our previous push to this remote, if the sync repository still has it (the cache may have been cleared). */
async function previousPush(gitDir: string, remote: Remote): Promise<{ commit?: string; root: Root }> {
  const commit = readRef(gitDir, pushedRef(remote));
  const body = commit ? readLooseObject(gitDir, commit) : undefined;
  const m = body?.type === 'commit' ? /^tree ([0-9a-f]{40})/.exec(body.body.toString('utf8')) : null;
  if (!m) return { root: new Map() };
  try {
    const root = await rootOf(gitDir, m[1]!);
    const present = await existingObjects(gitDir, [...root.values()]);
    return { commit, root: new Map([...root].filter(([, oid]) => present.has(oid))) };
  } catch {
    return { root: new Map() };
  }
}

interface Pulled {
  tree: string;
  root: Root;
  remoteObjects: number;
  received: number;
  skipped: string[];
}

/**
 * Whether an object's bytes are a valid record (the pull's per-object parse: ~75 µs each,
 * 1.5 s of a 20k pull). The call site for a faster canonical-YAML parser: it must refuse
 * exactly what parseRecordBytes refuses.
 */
function isRecord(bytes: Buffer, id: string): boolean {
  try {
    parseRecordBytes(bytes, id);
    return true;
  } catch {
    return false;
  }
}

async function pullTip(layout: StoreLayout, gitDir: string, remote: Remote, tip: string, repair = false): Promise<Pulled> {
  await fetchTip(gitDir, remote, tip);
  const tree = await treeOfCommit(gitDir, tip);
  const root = await rootOf(gitDir, tree);
  const local = await buildLocalTree(layout, gitDir, { readNew: false });
  let remoteObjects = 0;
  const differing: Array<[string, string]> = [];
  for (const [fan, oid] of root) {
    if (!repair && local.root.get(fan) === oid) remoteObjects += local.counts.get(fan)!;
    else differing.push([fan, oid]);
  }
  const subtrees = new Subtrees(gitDir);
  await subtrees.load(differing.map(([, oid]) => oid));
  const missing: Array<[string, string]> = [];
  for (const [fan, oid] of differing) {
    // One listing per folder, not an lstat per object (a symlinked folder holds nothing:
    // its objects are pulled and the write refuses the folder).
    const have = objectFilesIn(layout.objects, fan);
    // --repair: a damaged object is fetched again (the bulk write replaces what is at its name)
    if (repair) readObjectsIn(layout.objects, fan, (id, bytes) => bytes instanceof MlmetaError && bytes.code === 'E_CORRUPT_OBJECT' && have.delete(id));
    for (const e of subtrees.objects(oid)) {
      remoteObjects++;
      const id = fan + e.name.slice(0, 62);
      if (!have.has(id)) missing.push([id, e.oid]);
    }
  }
  // Each blob is hashed and parsed as git hands it over (git inflates the next ones
  // meanwhile); then each name is checked against its blob's hash (a hostile tree may name one
  // blob twice), and nothing is written until every one has passed.
  const seen = new Map<string, { actual: string; record: Buffer | undefined }>();
  const named = new Map(missing.map(([id, oid]) => [oid, id]));
  await eachGitObject(gitDir, [...named.keys()], (oid, blob) => {
    if (seen.has(oid)) return;
    const actual = blob.type === 'blob' ? sha256Hex(blob.body) : `a git ${blob.type}, not a file`;
    seen.set(oid, { actual, record: blob.type === 'blob' && isRecord(blob.body, actual) ? blob.body : undefined });
  }, {
    bytes: MAX_OBJECT_BYTES,
    refuse: (oid, size) => new MlmetaError('E_CORRUPT_OBJECT', `the remote's object ${named.get(oid)} is ${size} bytes, larger than any record can be; nothing was pulled`, { id: named.get(oid) }),
  });
  const checked: Array<{ id: string; bytes: Buffer }> = [];
  const skipped: string[] = [];
  for (const [id, oid] of missing) {
    const blob = seen.get(oid);
    if (!blob) throw new MlmetaError('E_REMOTE', `object ${id} (blob ${oid}) is missing from the fetched data`);
    if (blob.actual !== id) {
      throw new MlmetaError('E_CORRUPT_OBJECT', `the remote's object ${id} is corrupt (its bytes hash to ${blob.actual}); nothing was pulled`, { id });
    }
    // Right name, but not a record (any bytes can be named by their hash): it would make
    // every clone's verify fail for good, so it stays out, and the user is told.
    if (blob.record) checked.push({ id, bytes: blob.record });
    else skipped.push(id);
  }
  // A store made by an older mlmeta may lack the .gitignore lines that keep an interrupted
  // pull's temp files out of commits.
  if (checked.length) ensureGitignore(layout.root);
  const received = writeObjectsBulk(layout.objects, checked);
  // The remote's subtrees of folders now listed exactly as they are mirror those folders:
  // the next pull or push skips them unread.
  rememberMirrored(layout, subtrees, differing);
  writeRef(gitDir, `refs/mlmeta/remotes/${remoteKey(remote)}`, tip);
  return { tree, root, remoteObjects, received, skipped };
}

/** Resolve the remote, then run `fn` holding the sync lock. */
async function withSync<T>(layout: StoreLayout, remoteArg: string, opts: SyncOptions, fn: (remote: Remote, gitDir: string) => Promise<T>): Promise<T> {
  const remote = { ...(await resolveRemote(opts.cwd ?? layout.project, remoteArg)), progress: opts.progress };
  const lock = path.join(layout.cache, 'locks', 'sync.lock');
  return withLockAsync(lock, () => fn(remote, syncGitDir(layout)), { what: "the store's sync repository (another push or pull)" });
}

export async function pullStore(layout: StoreLayout, remoteArg = 'origin', opts: SyncOptions = {}): Promise<PullResult> {
  return withSync(layout, remoteArg, opts, async (remote, gitDir) => {
    const tip = await remoteTip(gitDir, remote);
    if (!tip) return { remote: remote.shown, remoteObjects: 0, received: 0, skipped: [] };
    const { remoteObjects, received, skipped } = await pullTip(layout, gitDir, remote, tip, opts.repair);
    return { remote: remote.shown, tip, remoteObjects, received, skipped };
  });
}

export async function pushStore(layout: StoreLayout, remoteArg = 'origin', opts: SyncOptions = {}): Promise<PushResult> {
  return withSync(layout, remoteArg, opts, async (remote, gitDir) => {
    let received = 0;
    let rebuilt = false;
    const skipped = new Set<string>();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const tip = await remoteTip(gitDir, remote);
      const pulled = tip ? await pullTip(layout, gitDir, remote, tip) : undefined;
      received += pulled?.received ?? 0;
      for (const id of pulled?.skipped ?? []) skipped.add(id);
      const local = await buildLocalTree(layout, gitDir, { readNew: true });
      const previous = await previousPush(gitDir, remote);
      const union = await unionTree(gitDir, local, previous.root, pulled?.root ?? new Map());
      if (union.tree === pulled?.tree) {
        return { remote: remote.shown, commit: tip, sent: 0, received, upToDate: true, attempts: attempt, skipped: [...skipped] };
      }
      const parents = [...new Set([previous.commit, tip].filter((x): x is string => x !== undefined))];
      const commit = writeGitObject(gitDir, 'commit', encodeCommit(union.tree, parents, `mlmeta: ${union.objects} records`, new Date()));
      let pushed: boolean;
      try {
        pushed = await pushCommit(gitDir, remote, commit);
      } catch (e) {
        // A blob the mirror cache vouched for is gone from the sync repository (a cache
        // half-deleted by hand): forget the cache, so the next attempt reads every folder.
        if (rebuilt || !(e instanceof MlmetaError) || !/unable to read|bad (tree |blob |commit )?object|missing (blob|tree|object)|pack-objects died/i.test(e.message)) throw e;
        forgetMirrored(layout);
        rebuilt = true;
        continue;
      }
      if (pushed) {
        writeRef(gitDir, pushedRef(remote), commit);
        return { remote: remote.shown, commit, sent: union.added, received, upToDate: false, attempts: attempt, skipped: [...skipped] };
      }
    }
    throw new MlmetaError('E_REMOTE', `the remote's ${STORE_REF} kept moving; ${MAX_ATTEMPTS} attempts failed, try again`);
  });
}

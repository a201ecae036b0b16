// push and pull of the store through `refs/mlmeta/store` on any git remote.
// pull: fetch the ref, check every object the local store lacks (name form and SHA-256),
// then add them all — or none, if any is refused. push: pull first (union), build the
// mirror tree, commit with the previous local and remote tips as parents, push as a
// fast-forward; if someone pushed meanwhile, do it again (bounded). Branches and the work
// tree are never touched, and a record is never lost, whoever pushes first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import type { StoreLayout } from '../store/location.js';
import { FANOUT_DIR, OBJECT_FILE, hasObject, sha256Hex, writeObjectsBulk } from '../store/objects.js';
import { decodeTree, encodeCommit, writeGitObject } from './git-objects.js';
import { buildStoreTree, knownSubtrees, rememberPulledSubtrees, syncGitDir } from './mirror.js';
import { readGitObject, readGitObjects } from './object-reader.js';
import { fetchTip, pushCommit, remoteTip, resolveRemote, shownUrl, type Remote } from './transport.js';

const MAX_ATTEMPTS = 5;
const LOCAL_TIP = 'refs/mlmeta/local';

export interface PullResult {
  remote: string;
  tip?: string;
  /** objects on the remote */
  remoteObjects: number;
  /** objects added to the local store */
  received: number;
}

export interface PushResult {
  remote: string;
  commit?: string;
  /** objects the remote did not have */
  sent: number;
  /** objects received first (someone else had pushed) */
  received: number;
  upToDate: boolean;
  attempts: number;
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
  fs.writeFileSync(`${file}.lock`, `${oid}\n`);
  fs.renameSync(`${file}.lock`, file);
}

async function treeOfCommit(gitDir: string, commit: string): Promise<string> {
  const c = await readGitObject(gitDir, commit);
  const m = /^tree ([0-9a-f]{40})/.exec(c.body.toString('utf8'));
  if (c.type !== 'commit' || !m) throw new MlmetaError('E_REMOTE', `${commit} on the remote is not a commit`);
  return m[1]!;
}

/**
 * The remote tree's objects that may be new here (record id → blob oid), and how many
 * objects the remote holds. Fan-out subtrees identical to ones we built are skipped:
 * pulling one new record into a 100k store reads one subtree. Entries not of the object
 * form are ignored.
 */
async function remoteEntries(layout: StoreLayout, gitDir: string, tree: string): Promise<{ entries: Map<string, string>; total: number; subtrees: Record<string, [string, number]> }> {
  const root = await readGitObject(gitDir, tree);
  const known = knownSubtrees(layout);
  let total = 0;
  const subtrees: Record<string, [string, number]> = {};
  const fans = decodeTree(root.body).filter((e) => {
    if (e.mode !== '40000' || !FANOUT_DIR.test(e.name)) return false;
    const count = known.get(e.name)?.get(e.oid);
    if (count !== undefined) {
      total += count;
      subtrees[e.name] = [e.oid, count];
      return false;
    }
    return true;
  });
  const bodies = await readGitObjects(gitDir, fans.map((f) => f.oid));
  const out = new Map<string, string>();
  for (const f of fans) {
    const sub = bodies.get(f.oid);
    if (!sub) throw new MlmetaError('E_REMOTE', `tree ${f.oid} is missing from the fetched data`);
    for (const e of decodeTree(sub.body)) {
      if (e.mode === '100644' && OBJECT_FILE.test(e.name)) {
        out.set(f.name + e.name.slice(0, 62), e.oid);
        total++;
        subtrees[f.name] = [f.oid, (subtrees[f.name]?.[1] ?? 0) + 1];
      }
    }
  }
  return { entries: out, total, subtrees };
}

async function pullTip(layout: StoreLayout, gitDir: string, remote: Remote, tip: string): Promise<{ remoteObjects: number; received: number }> {
  await fetchTip(gitDir, remote, tip);
  const { entries, total, subtrees } = await remoteEntries(layout, gitDir, await treeOfCommit(gitDir, tip));
  const missing = [...entries].filter(([id]) => !hasObject(layout.objects, id));
  const blobs = await readGitObjects(gitDir, missing.map(([, oid]) => oid));
  const checked: Array<{ id: string; bytes: Buffer }> = [];
  for (const [id, oid] of missing) {
    const blob = blobs.get(oid);
    if (!blob) throw new MlmetaError('E_REMOTE', `object ${id} (blob ${oid}) is missing from the fetched data`);
    const actual = sha256Hex(blob.body);
    if (actual !== id) {
      throw new MlmetaError('E_CORRUPT_OBJECT', `the remote's object ${id} is corrupt (its bytes hash to ${actual}); nothing was pulled`, { id });
    }
    checked.push({ id, bytes: blob.body });
  }
  const received = writeObjectsBulk(layout.objects, checked);
  rememberPulledSubtrees(layout, subtrees);
  writeRef(gitDir, `refs/mlmeta/remotes/${encodeURIComponent(remote.name)}`, tip);
  return { remoteObjects: total, received };
}

export interface SyncOptions {
  /** progress on stderr for long transfers */
  progress?: boolean;
}

export async function pullStore(layout: StoreLayout, remoteArg = 'origin', opts: SyncOptions = {}): Promise<PullResult> {
  const remote = { ...resolveRemote(layout.project, remoteArg), progress: opts.progress };
  const gitDir = syncGitDir(layout);
  const tip = await remoteTip(gitDir, remote);
  if (!tip) return { remote: shownUrl(remote.url), remoteObjects: 0, received: 0 };
  const { remoteObjects, received } = await pullTip(layout, gitDir, remote, tip);
  return { remote: shownUrl(remote.url), tip, remoteObjects, received };
}

export async function pushStore(layout: StoreLayout, remoteArg = 'origin', opts: SyncOptions = {}): Promise<PushResult> {
  const remote = { ...resolveRemote(layout.project, remoteArg), progress: opts.progress };
  const gitDir = syncGitDir(layout);
  let received = 0;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const tip = await remoteTip(gitDir, remote);
    let remoteCount = 0;
    let remoteTree: string | undefined;
    if (tip) {
      const pulled = await pullTip(layout, gitDir, remote, tip);
      received += pulled.received;
      remoteCount = pulled.remoteObjects;
      remoteTree = await treeOfCommit(gitDir, tip);
    }
    const { tree, objects } = buildStoreTree(layout, gitDir);
    if (tree === remoteTree) {
      return { remote: shownUrl(remote.url), commit: tip, sent: 0, received, upToDate: true, attempts: attempt };
    }
    const localTip = readRef(gitDir, LOCAL_TIP);
    const parents = [...new Set([localTip, tip].filter((x): x is string => x !== undefined))];
    const commit = writeGitObject(gitDir, 'commit', encodeCommit(tree, parents, `mlmeta: ${objects} records`, new Date()));
    if (await pushCommit(gitDir, remote, commit)) {
      writeRef(gitDir, LOCAL_TIP, commit);
      const sent = objects - remoteCount;
      return { remote: shownUrl(remote.url), commit, sent: Math.max(0, sent), received, upToDate: false, attempts: attempt };
    }
  }
  throw new MlmetaError('E_REMOTE', `the remote's ${'refs/mlmeta/store'} kept moving; ${MAX_ATTEMPTS} attempts failed, try again`);
}

// A minimal writer of git loose objects (blob, tree, commit) for the sync repository:
// node's sha1 + zlib.deflateSync, temp file + rename. Measured 15× faster than
// isomorphic-git's writeBlob (which deflates through CompressionStream and hashes through
// WebCrypto), and `git fsck` accepts what it writes.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';

export type GitType = 'blob' | 'tree' | 'commit';

export function gitObjectId(type: GitType, body: Buffer): string {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex');
}

export function writeGitObject(gitDir: string, type: GitType, body: Buffer): string {
  const id = gitObjectId(type, body);
  const dir = path.join(gitDir, 'objects', id.slice(0, 2));
  const file = path.join(dir, id.slice(2));
  if (fs.existsSync(file)) return id;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `tmp_obj_${process.pid}_${randomBytes(4).toString('hex')}`);
  fs.writeFileSync(tmp, deflateSync(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]), { level: 1 }));
  fs.renameSync(tmp, file);
  return id;
}

/** Read a loose object we wrote (trees of the mirror); undefined when it is not loose here. */
export function readLooseObject(gitDir: string, oid: string): { type: string; body: Buffer } | undefined {
  let raw: Buffer;
  try {
    raw = inflateSync(fs.readFileSync(path.join(gitDir, 'objects', oid.slice(0, 2), oid.slice(2))));
  } catch {
    return undefined;
  }
  const nul = raw.indexOf(0);
  return { type: raw.toString('latin1', 0, raw.indexOf(0x20)), body: raw.subarray(nul + 1) };
}

export interface TreeEntry {
  /** as git writes it: we write only '100644' (a blob) and '40000' (a tree); read trees may hold '120000' (a link), '160000' (a submodule), '100755'… */
  mode: string;
  name: string;
  oid: string;
}

/** Tree bytes; entries sorted the way git sorts them (a folder as if its name ended in '/'). */
export function encodeTree(entries: TreeEntry[]): Buffer {
  const key = (e: TreeEntry) => (e.mode === '40000' ? `${e.name}/` : e.name);
  const sorted = [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return Buffer.concat(sorted.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.oid, 'hex')]));
}

export function decodeTree(body: Buffer): TreeEntry[] {
  const out: TreeEntry[] = [];
  let i = 0;
  while (i < body.length) {
    const sp = body.indexOf(0x20, i);
    const nul = body.indexOf(0, sp);
    const mode = body.toString('utf8', i, sp);
    out.push({ mode, name: body.toString('utf8', sp + 1, nul), oid: body.toString('hex', nul + 1, nul + 21) });
    i = nul + 21;
  }
  return out;
}

export function encodeCommit(tree: string, parents: string[], message: string, when: Date): Buffer {
  const ts = `${Math.floor(when.getTime() / 1000)} +0000`;
  const who = `mlmeta <mlmeta@localhost> ${ts}`;
  return Buffer.from([`tree ${tree}`, ...parents.map((p) => `parent ${p}`), `author ${who}`, `committer ${who}`, '', message, ''].join('\n'));
}

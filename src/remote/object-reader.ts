// Reading git objects out of the sync repository, loose or packed: `git cat-file --batch`
// (one process per batch, streamed) when git is installed, isomorphic-git otherwise.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { MlmetaError } from '../errors.js';
import { isomorphicGit } from '../lazy-deps.js';
import { syncRepoEnv } from './git-env.js';

export type GitObject = { type: string; body: Buffer };

/**
 * `git cat-file --batch` of `oids`, each object handed to `each` as soon as it is out of the
 * pipe, so the caller's checks run on one core while git inflates the rest on the other.
 * false when git could not run or failed (the caller then reads the objects another way and
 * may see some of them twice); a throw from `each` stops git and is the result.
 */
function catFileStream(gitDir: string, oids: string[], each: (oid: string, o: GitObject) => void, limit?: SizeLimit): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'ignore'], env: syncRepoEnv() });
    let failed: unknown;
    let buf: Buffer = Buffer.alloc(0);
    // bytes of a large object not yet complete: kept as chunks, joined once it is all here
    const parts: Buffer[] = [];
    let partsLength = 0;
    let need = 0;
    const take = (): void => {
      for (;;) {
        const nl = buf.indexOf(0x0a);
        if (nl < 0) return;
        const header = buf.toString('latin1', 0, nl).split(' ');
        if (header[1] === 'missing') {
          buf = buf.subarray(nl + 1);
          continue;
        }
        const size = Number(header[2]);
        // refused at its header, before a byte of it is kept
        if (limit && size > limit.bytes) throw limit.refuse(header[0]!, size);
        if (buf.length < nl + 1 + size + 1) {
          need = nl + 1 + size + 1;
          return;
        }
        each(header[0]!, { type: header[1]!, body: buf.subarray(nl + 1, nl + 1 + size) });
        buf = buf.subarray(nl + 1 + size + 1);
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (failed !== undefined) return;
      try {
        if (need > buf.length + partsLength + chunk.length) {
          parts.push(chunk);
          partsLength += chunk.length;
          return;
        }
        buf = parts.length ? Buffer.concat([buf, ...parts, chunk]) : buf.length ? Buffer.concat([buf, chunk]) : chunk;
        parts.length = 0;
        partsLength = 0;
        need = 0;
        take();
      } catch (e) {
        failed = e;
        child.kill();
      }
    });
    child.stdin.on('error', () => {
      /* git stopped reading (it failed, or was stopped above): its exit says which */
    });
    child.on('error', () => resolve(false));
    child.on('close', (code) => {
      if (failed !== undefined) reject(failed);
      else resolve(code === 0 && buf.length === 0 && parts.length === 0);
    });
    child.stdin.end(oids.join('\n') + '\n');
  });
}

/** Objects larger than `bytes` are refused with `refuse`'s error (a remote can name a blob of any size). */
export interface SizeLimit {
  bytes: number;
  refuse: (oid: string, size: number) => Error;
}

/**
 * Each of these objects that the repository holds, handed to `each` (loose or packed; via git
 * when installed, isomorphic-git otherwise). `each` must not mind seeing an object twice.
 * With `limit`, git's stream is stopped at the header of a larger object (isomorphic-git
 * inflates an object before its size is known: the limit is applied after).
 */
export async function eachGitObject(gitDir: string, oids: string[], each: (oid: string, o: GitObject) => void, limit?: SizeLimit): Promise<void> {
  if (oids.length === 0) return;
  if (await catFileStream(gitDir, oids, each, limit)) return;
  const { git } = isomorphicGit();
  const cache = {};
  for (const oid of oids) {
    let o;
    try {
      o = await git.readObject({ fs, gitdir: gitDir, oid, format: 'content', cache });
    } catch {
      continue; /* missing: the caller reports it */
    }
    const body = Buffer.from(o.object as Uint8Array);
    if (limit && body.length > limit.bytes) throw limit.refuse(oid, body.length);
    each(oid, { type: o.type, body });
  }
}

export async function readGitObjects(gitDir: string, oids: string[]): Promise<Map<string, GitObject>> {
  const out = new Map<string, GitObject>();
  await eachGitObject(gitDir, oids, (oid, o) => out.set(oid, o));
  return out;
}

/** Which of these objects the sync repository holds (loose or packed), without reading them. */
export async function existingObjects(gitDir: string, oids: string[]): Promise<Set<string>> {
  if (oids.length === 0) return new Set();
  const r = spawnSync('git', ['--git-dir', gitDir, 'cat-file', '--batch-check'], { input: oids.join('\n') + '\n', encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: syncRepoEnv() });
  if (r.status === 0) return new Set(r.stdout.split('\n').filter((l) => l && !l.endsWith(' missing')).map((l) => l.slice(0, 40)));
  return new Set((await readGitObjects(gitDir, oids)).keys());
}

export async function readGitObject(gitDir: string, oid: string): Promise<GitObject> {
  const o = (await readGitObjects(gitDir, [oid])).get(oid);
  if (!o) throw new MlmetaError('E_REMOTE', `git object ${oid} is missing from the fetched data`);
  return o;
}

// Reading git objects out of the sync repository, loose or packed: `git cat-file --batch`
// (one process per batch) when git is installed, isomorphic-git otherwise.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { MlmetaError } from '../errors.js';
import { isomorphicGit } from '../lazy-deps.js';

export type GitObject = { type: string; body: Buffer };

function catFileBatch(gitDir: string, oids: string[]): Map<string, GitObject> | undefined {
  const r = spawnSync('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { input: oids.join('\n') + '\n', maxBuffer: 4 * 1024 * 1024 * 1024 });
  if (r.status !== 0 || !r.stdout) return undefined;
  const out = new Map<string, GitObject>();
  const buf = r.stdout as Buffer;
  let i = 0;
  while (i < buf.length) {
    const nl = buf.indexOf(0x0a, i);
    const header = buf.toString('latin1', i, nl).split(' ');
    if (header[1] === 'missing') {
      i = nl + 1;
      continue;
    }
    const size = Number(header[2]);
    out.set(header[0]!, { type: header[1]!, body: buf.subarray(nl + 1, nl + 1 + size) });
    i = nl + 1 + size + 1;
  }
  return out;
}

export async function readGitObjects(gitDir: string, oids: string[]): Promise<Map<string, GitObject>> {
  if (oids.length === 0) return new Map();
  const viaGit = catFileBatch(gitDir, oids);
  if (viaGit) return viaGit;
  const { git } = isomorphicGit();
  const cache = {};
  const out = new Map<string, GitObject>();
  for (const oid of oids) {
    try {
      const o = await git.readObject({ fs, gitdir: gitDir, oid, format: 'content', cache });
      out.set(oid, { type: o.type, body: Buffer.from(o.object as Uint8Array) });
    } catch {
      /* missing: the caller reports it */
    }
  }
  return out;
}

/** Which of these objects the sync repository holds (loose or packed), without reading them. */
export async function existingObjects(gitDir: string, oids: string[]): Promise<Set<string>> {
  if (oids.length === 0) return new Set();
  const r = spawnSync('git', ['--git-dir', gitDir, 'cat-file', '--batch-check'], { input: oids.join('\n') + '\n', encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status === 0) return new Set(r.stdout.split('\n').filter((l) => l && !l.endsWith(' missing')).map((l) => l.slice(0, 40)));
  return new Set((await readGitObjects(gitDir, oids)).keys());
}

export async function readGitObject(gitDir: string, oid: string): Promise<GitObject> {
  const o = (await readGitObjects(gitDir, [oid])).get(oid);
  if (!o) throw new MlmetaError('E_REMOTE', `git object ${oid} is missing from the fetched data`);
  return o;
}

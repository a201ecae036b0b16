// Push and pull of many records at once (issue 13's bulk paths): more new objects than
// PACK_FROM go into the sync repository through a `git fast-import` fed while they are read,
// and a pull writes them in one bulk write. Real git, a bare repo on disk, the built CLI.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, mlmeta, ok } from '../helpers/cli.js';
import { git, gitEnv, gitRepo, snapshot, tempDir } from '../helpers/dirs.js';
import { canonicalYaml } from '../../src/records/yaml.js';
import { listAllIds, objectPath, sha256Hex } from '../../src/store/objects.js';

const objects = (repo: string) => path.join(repo, '.mlmeta/objects');

/** A project with `n` model records written straight into its store (as bench/generate.mjs does). */
function projectWith(n: number, remote: string): string {
  const repo = gitRepo();
  ok(repo, ['init']);
  git(repo, 'remote', 'add', 'origin', remote);
  for (let i = 0; i < n; i++) {
    const bytes = Buffer.from(canonicalYaml({ mlmeta: 1, kind: 'model', name: `bulk-${i}`, version: 1, author: 'Bulk <bulk@example.test>', created: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(), params: { i } }));
    const file = objectPath(objects(repo), sha256Hex(bytes));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes, { mode: 0o444 });
  }
  return repo;
}

describe('bulk push and pull', () => {
  it('pushes 300 records as one pack (fsck-clean) and a fresh clone pulls every one, byte for byte', () => {
    const remote = path.join(tempDir(), 'store.git');
    git(path.dirname(remote), 'init', '-q', '--bare', '-b', 'main', remote);
    const a = projectWith(300, remote);
    const mine = listAllIds(objects(a));
    expect(mine.length).toBe(300);
    const pushed = mlmeta(a, ['push']);
    expect(pushed.code).toBe(0);
    expect(pushed.stderr).toMatch(/sent 300 record/);
    const packs = fs.readdirSync(path.join(a, '.mlmeta/cache/sync.git/objects/pack')).filter((n) => n.endsWith('.pack'));
    expect(packs.length).toBe(1); // the blobs went through fast-import, not one loose file each
    git(remote, 'fsck', '--strict', '--no-dangling');
    const b = gitRepo();
    git(b, 'remote', 'add', 'origin', remote);
    ok(b, ['init']);
    const pulled = mlmeta(b, ['pull']);
    expect(pulled.code).toBe(0);
    expect(pulled.stderr).toMatch(/received 300 new record/);
    expect(listAllIds(objects(b))).toEqual(mine);
    for (const id of mine) {
      expect(fs.readFileSync(objectPath(objects(b), id)).equals(fs.readFileSync(objectPath(objects(a), id)))).toBe(true);
      expect(fs.statSync(objectPath(objects(b), id)).mode & 0o777).toBe(0o444);
    }
    const temps = fs.readdirSync(objects(b), { withFileTypes: true }).filter((d) => d.isDirectory()).flatMap((d) => fs.readdirSync(path.join(objects(b), d.name)).filter((n) => n.startsWith('.tmp-')));
    expect(temps).toEqual([]);
    // Review 9b: a bulk write that kept a descriptor open per folder failed (EMFILE) under a
    // low limit; a third clone pulls the ~200 folders with 64 descriptors
    const c = gitRepo();
    git(c, 'remote', 'add', 'origin', remote);
    ok(c, ['init']);
    const folders = new Set(mine.map((id) => id.slice(0, 2))).size;
    expect(folders).toBeGreaterThan(64);
    const low = spawnSync('sh', ['-c', `ulimit -n 64 && exec "${process.execPath}" "${BIN}" pull`], { cwd: c, env: { ...process.env, ...gitEnv, MLMETA_DIR: '' }, encoding: 'utf8' });
    expect(low.stderr).toMatch(/received 300 new record/);
    expect(listAllIds(objects(c))).toEqual(mine);
  });

  it('a corrupt object among many stops the push before anything is sent; the remote and the store are unchanged', () => {
    const remote = path.join(tempDir(), 'store.git');
    git(path.dirname(remote), 'init', '-q', '--bare', '-b', 'main', remote);
    const a = projectWith(200, remote);
    const victim = listAllIds(objects(a))[150]!;
    const file = objectPath(objects(a), victim);
    fs.chmodSync(file, 0o644);
    fs.appendFileSync(file, '# changed\n');
    const before = snapshot(objects(a));
    const r = mlmeta(a, ['push']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error\\[E_CORRUPT_OBJECT\\]: object ${victim} is corrupt.*mlmeta verify`, 'm'));
    expect(snapshot(objects(a))).toEqual(before);
    expect(git(remote, 'for-each-ref').trim()).toBe('');
    expect(fs.readdirSync(path.join(remote, 'objects/pack'))).toEqual([]);
  });
});

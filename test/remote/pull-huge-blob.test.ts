// A hostile remote names a huge blob (zeros pack to almost nothing) as an object. No record
// is larger than MAX_OBJECT_BYTES, and `git cat-file --batch` states each object's size in its
// header: the pull refuses there, before keeping any of the blob. (Found by review 5: the
// blob was buffered and hashed first — 825 MiB of memory for 256 MiB, 1.3 GB for 600 MiB.)
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ok } from '../helpers/cli.js';
import { bareRemote, git, gitEnv, gitRepo, snapshot } from '../helpers/dirs.js';

const MIB = 64; // over MAX_OBJECT_BYTES (48 MiB)

describe('pull of a remote naming a blob far larger than any record', () => {
  it('is refused without reading the blob into memory', () => {
    const bare = bareRemote();
    const blob = execFileSync('sh', ['-c', `head -c ${MIB}M /dev/zero | git --git-dir "${bare}" hash-object -w --stdin`], { encoding: 'utf8' }).trim();
    const sub = execFileSync('git', ['--git-dir', bare, 'mktree'], { input: `100644 blob ${blob}\t${'a'.repeat(62)}.yaml\n`, encoding: 'utf8' }).trim();
    const root = execFileSync('git', ['--git-dir', bare, 'mktree'], { input: `040000 tree ${sub}\tab\n`, encoding: 'utf8' }).trim();
    const commit = execFileSync('git', ['--git-dir', bare, 'commit-tree', '-m', 'x', root], { encoding: 'utf8', env: { ...process.env, ...gitEnv } }).trim();
    git(bare, 'update-ref', 'refs/mlmeta/store', commit);
    const a = gitRepo();
    ok(a, ['init']);
    git(a, 'remote', 'add', 'origin', bare);
    const before = snapshot(path.join(a, '.mlmeta/objects'));
    const r = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, BIN, 'pull'], { cwd: a, encoding: 'utf8', env: { ...process.env, ...gitEnv }, timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error\\[E_CORRUPT_OBJECT\\]: the remote's object ab${'a'.repeat(62)} is ${MIB * 1024 * 1024} bytes, larger than any record can be; nothing was pulled$`, 'm'));
    expect(snapshot(path.join(a, '.mlmeta/objects'))).toEqual(before);
    const rssMiB = Number(/maxrss=(\d+)/.exec(r.stderr)![1]) / 1024;
    // node + the CLI bundle stay well under 150 MiB; buffering the blob took two copies of it
    expect(rssMiB).toBeLessThan(150);
  }, 180_000);
});

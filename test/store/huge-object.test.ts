// No record can be larger than the YAML reader accepts (16 Mi characters): a huge file among
// the objects (a sparse 1 GiB file here: no disk used) is refused by its size, never read
// into memory, so the first command on a cold index stays small. (Found by review 4: ~1.1 GB
// peak; 1.5 GiB took 1.6 GB and 21 s.)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ok } from '../helpers/cli.js';
import { gitEnv, gitRepo, write } from '../helpers/dirs.js';

function peak(repo: string, args: string[]): { code: number | null; mb: number; stderr: string; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', 'peak %M', process.execPath, BIN, ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...gitEnv } });
  const m = /peak (\d+)/.exec(r.stderr)!;
  return { code: r.status, mb: Number(m[1]) / 1024, stderr: r.stderr, stdout: r.stdout };
}

describe('a 1 GiB file among the objects', () => {
  it('the first command on a cold index stays within 300 MB', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    write(repo, 'd.txt', 'x\n');
    ok(repo, ['record', 'dataset', 'd.txt']);
    const huge = path.join(repo, '.mlmeta/objects/ab', `${'c'.repeat(62)}.yaml`);
    fs.mkdirSync(path.dirname(huge), { recursive: true });
    fs.closeSync(fs.openSync(huge, 'w'));
    fs.truncateSync(huge, 1024 ** 3);
    fs.rmSync(path.join(repo, '.mlmeta/cache/index.sqlite'), { force: true });
    const r = peak(repo, ['find', '--limit', '1']);
    expect(r.code).toBe(0);
    expect(r.mb).toBeLessThan(300); // before the fix: ~1,100 MB
    // verify names it without reading it
    const v = peak(repo, ['verify']);
    expect(v.code).toBe(1);
    expect(v.stdout + v.stderr).toContain(`error[HASH_MISMATCH]: ab${'c'.repeat(62)}: 1073741824 bytes, larger than any record can be (not read)`);
    expect(v.mb).toBeLessThan(300);
  }, 120_000);
});

// An object present but damaged (its bytes cut by a disk fault or another tool's crash) is
// not fetched again by a plain pull, which compares names; `pull --repair` reads the store and
// fetches again what does not hash to its name. (Found by review 5: no command restored it.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { bareRemote, git, gitRepo } from '../helpers/dirs.js';

describe('pull --repair and a damaged local object', () => {
  it('a plain pull leaves it (names match); pull --repair restores it from the remote', () => {
    const bare = bareRemote();
    const a = gitRepo();
    ok(a, ['init']);
    git(a, 'remote', 'add', 'origin', bare);
    const id = ok(a, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none']);
    const other = ok(a, ['record', 'model', '--name', 'n', '--code', 'none', '--env', 'none']);
    ok(a, ['push']);
    const b = gitRepo();
    git(b, 'remote', 'add', 'origin', bare);
    ok(b, ['pull']);
    const file = path.join(b, '.mlmeta/objects', id.slice(0, 2), `${id.slice(2)}.yaml`);
    const good = fs.readFileSync(file);
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, good.subarray(0, 10)); // truncated
    const v = mlmeta(b, ['verify']);
    expect(v.code).toBe(1); // the damage is real
    expect(v.stdout + v.stderr).toContain(`HASH_MISMATCH]: ${id}`);
    expect(ok(b, ['pull'])).toBe('');
    expect(fs.readFileSync(file).length).toBe(10); // a plain pull compares names
    const otherFile = path.join(b, '.mlmeta/objects', other.slice(0, 2), `${other.slice(2)}.yaml`);
    const otherIno = fs.statSync(otherFile).ino;
    const r = mlmeta(b, ['pull', '--repair', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).received).toBe(1);
    expect(fs.readFileSync(file).equals(good)).toBe(true);
    expect(fs.statSync(otherFile).ino).toBe(otherIno); // the intact one was not rewritten
    expect(mlmeta(b, ['verify']).code).toBe(0);
  }, 60_000);
});

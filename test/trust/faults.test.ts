// Faults: a full disk, a read-only store, a store the user may not write to, symlinks
// planted in the store (the push cut off mid-transfer is in test/remote/trust.test.ts). Each ends in one clean line and a
// store that is still valid.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, mlmeta, ok, type CliResult } from '../helpers/cli.js';
import { gitEnv, snapshot, tempDir, write } from '../helpers/dirs.js';
import { readObject, sha256Hex } from '../../src/store/objects.js';

const isRoot = process.getuid?.() === 0;
// A tmpfs needs root. CI runs as root (and sets CI), so there these tests always run.
const canMount = isRoot || Boolean(process.env.CI);
if (!canMount) {
  console.warn('test/trust/faults.test.ts: SKIPPED "disk faults" (a full disk, a read-only file system): they mount a tmpfs, which needs root. CI runs them as root.');
}

const mounts: string[] = [];
afterEach(() => {
  for (const m of mounts.splice(0)) execFileSync('umount', ['-l', m]);
});

/** A small tmpfs of our own (root only: see canMount). */
function smallDisk(kb: number): string {
  const dir = tempDir('mlmeta-disk-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

describe.runIf(canMount)('disk faults', () => {
  it('a full disk: a clean E_IO line and no partial object', () => {
    const dir = smallDisk(512);
    ok(dir, ['init']);
    ok(dir, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none']);
    // fill the disk to the last block
    try { execFileSync('dd', ['if=/dev/zero', `of=${path.join(dir, 'filler')}`, 'bs=4k'], { stdio: 'ignore' }); } catch { /* ENOSPC expected */ }
    const before = snapshot(path.join(dir, '.mlmeta/objects'));
    const r = mlmeta(dir, ['record', 'model', '--name', 'm', '--param', `big=${'x'.repeat(8000)}`, '--code', 'none', '--env', 'none']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_IO\]: cannot (write|create) .*ENOSPC\n$/);
    expect(snapshot(path.join(dir, '.mlmeta/objects'))).toEqual(before);
    fs.rmSync(path.join(dir, 'filler'));
    expect(mlmeta(dir, ['verify']).code).toBe(0);
  });

  it('a read-only store: reads work, writes fail with one clean line', () => {
    const dir = smallDisk(1024);
    ok(dir, ['init']);
    const id = ok(dir, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none']);
    fs.rmSync(path.join(dir, '.mlmeta/cache'), { recursive: true, force: true });
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    expect(JSON.parse(ok(dir, ['show', 'm', '--json'])).id).toBe(id);
    expect(JSON.parse(ok(dir, ['lineage', 'm', '--json'])).root).toBe(id);
    const r = mlmeta(dir, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_IO\]: .*EROFS\n$/);
  });
});

/**
 * Run the CLI as a user whom file permissions apply to: `nobody` when the suite runs as
 * root (root bypasses them), else the suite's own user.
 */
function asUser(cwd: string, args: string[]): CliResult {
  const cmd = isRoot ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, BIN] : [process.execPath, BIN];
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...gitEnv, MLMETA_DEBUG: '', MLMETA_DIR: '', HOME: cwd },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A project with one record `m`, owned by the user asUser runs as. */
function projectForUser(): { dir: string; id: string } {
  const dir = tempDir('mlmeta-perm-');
  ok(dir, ['init']);
  const id = ok(dir, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none']);
  if (isRoot) execFileSync('chown', ['-R', 'nobody:nogroup', dir]);
  // the temp folder is 0700; nobody must be able to reach the project
  fs.chmodSync(dir, 0o755);
  return { dir, id };
}

/** Make folders read-only for their owner (root ignores it; asUser does not run as root). */
function readOnly(...dirs: string[]): void {
  for (const d of dirs) execFileSync('chmod', ['-R', 'a-w', d]);
}

describe('a store the user may not write to', () => {
  it('objects/ not writable: record fails with one E_IO line and changes nothing; show works', () => {
    const { dir, id } = projectForUser();
    const objects = path.join(dir, '.mlmeta/objects');
    readOnly(objects);
    // (cache/ stays writable and may be refreshed: it is derived data)
    const before = snapshot(objects);
    const r = asUser(dir, ['record', 'model', '--name', 'm', '--param', 'x=1', '--code', 'none', '--env', 'none']);
    expect(r.code).toBe(1);
    // EACCES proves the fault was the permission, not something else
    expect(r.stderr).toMatch(/^error\[E_IO\]: [^\n]*EACCES\n$/);
    expect(r.stdout).toBe('');
    expect(snapshot(objects)).toEqual(before);
    const shown = asUser(dir, ['show', 'm', '--json']);
    expect(shown.stderr).toBe('');
    expect(JSON.parse(shown.stdout).id).toBe(id);
  });

  it('a store readable but not writable at all: record fails with one E_IO line; show and verify work', () => {
    const { dir, id } = projectForUser();
    readOnly(path.join(dir, '.mlmeta'));
    const before = snapshot(path.join(dir, '.mlmeta'));
    const r = asUser(dir, ['record', 'model', '--name', 'm', '--param', 'x=1', '--code', 'none', '--env', 'none']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_IO\]: [^\n]*EACCES\n$/);
    expect(snapshot(path.join(dir, '.mlmeta'))).toEqual(before);
    const shown = asUser(dir, ['show', 'm', '--json']);
    expect(shown.stderr).toBe('');
    expect(JSON.parse(shown.stdout).id).toBe(id);
    const v = asUser(dir, ['verify', '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).checked).toBe(1);
    expect(snapshot(path.join(dir, '.mlmeta'))).toEqual(before);
  });
});

describe('symlinks planted in the store', () => {
  it('an object that is a symlink out of the store is refused, never followed', () => {
    const dir = tempDir();
    ok(dir, ['init']);
    const secret = write(tempDir(), 'secret.yaml', 'mlmeta: 1\nkind: model\nname: stolen\nversion: 1\ncreated: x\n');
    const id = sha256Hex(fs.readFileSync(secret));
    fs.mkdirSync(path.join(dir, '.mlmeta/objects', id.slice(0, 2)), { recursive: true });
    fs.symlinkSync(secret, path.join(dir, '.mlmeta/objects', id.slice(0, 2), `${id.slice(2)}.yaml`));
    expect(() => readObject(path.join(dir, '.mlmeta/objects'), id)).toThrow(`object ${id} is a symlink; refused`);
    const r = mlmeta(dir, ['show', id]);
    expect(r.code).toBe(1);
    // not an object of this store: nothing is read through the link
    expect(r.stderr).toMatch(new RegExp(`^error\\[(E_NOT_FOUND|E_CORRUPT_OBJECT)\\]: (no record ${id}|object ${id} is a symlink; refused)\n$`));
    expect(mlmeta(dir, ['cat', id]).stdout).toBe('');
    expect(mlmeta(dir, ['verify']).code).toBe(1);
    expect(mlmeta(dir, ['find', '--json']).stdout).not.toContain('stolen');
  });

  it("a symlink at a manifest's predictable name: record dataset replaces the link, its target untouched", () => {
    // A manifest holds the file list only, so its id is known in advance: learn it in a
    // scratch project with the same data, as an attacker would.
    const scratch = tempDir();
    ok(scratch, ['init']);
    write(scratch, 'data/a.txt', 'hello\n');
    const expected = JSON.parse(ok(scratch, ['record', 'dataset', 'data', '--code', 'none', '--env', 'none', '--json']));
    const manifestBytes = fs.readFileSync(path.join(scratch, '.mlmeta/objects', expected.manifest.slice(0, 2), `${expected.manifest.slice(2)}.yaml`));

    const dir = tempDir();
    ok(dir, ['init']);
    write(dir, 'data/a.txt', 'hello\n');
    const key = write(tempDir(), 'id_ed25519', 'PRIVATE KEY\n');
    fs.chmodSync(key, 0o600);
    const planted = path.join(dir, '.mlmeta/objects', expected.manifest.slice(0, 2), `${expected.manifest.slice(2)}.yaml`);
    fs.mkdirSync(path.dirname(planted));
    fs.symlinkSync(key, planted);

    const res = JSON.parse(ok(dir, ['record', 'dataset', 'data', '--code', 'none', '--env', 'none', '--json']));
    expect(res.manifest).toBe(expected.manifest);
    expect(fs.statSync(key).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(key, 'utf8')).toBe('PRIVATE KEY\n');
    expect(fs.lstatSync(planted).isFile()).toBe(true);
    expect(fs.readFileSync(planted)).toEqual(manifestBytes);
    expect(mlmeta(dir, ['verify']).code).toBe(0);
  });

  it('a fan-out folder that is a symlink is not written through', () => {
    const dir = tempDir();
    ok(dir, ['init']);
    const outside = tempDir();
    // the id of the record we are about to write decides the fan-out folder; plant all 256
    for (let i = 0; i < 256; i++) fs.symlinkSync(outside, path.join(dir, '.mlmeta/objects', i.toString(16).padStart(2, '0')));
    const r = mlmeta(dir, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_IO\]: .* is not a real folder \(a symlink or file planted in the store\?\); refused\n$/);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(mlmeta(dir, ['verify', '--json']).stdout).toMatch(/PLANTED_LINK/);
  });

  it('a fan-out folder that is a symlink is not read through: show, cat, find and verify agree it holds nothing', () => {
    const dir = tempDir();
    ok(dir, ['init']);
    const objects = path.join(dir, '.mlmeta/objects');
    const bytes = 'mlmeta: 1\nkind: model\nname: stolen\nversion: 1\ncreated: x\n';
    const id = sha256Hex(bytes);
    const outside = tempDir();
    write(outside, `${id.slice(2)}.yaml`, bytes);
    fs.symlinkSync(outside, path.join(objects, id.slice(0, 2)));
    const before = snapshot(outside);

    const byPrefix = mlmeta(dir, ['show', id.slice(0, 8)]);
    expect(byPrefix.code).toBe(1);
    expect(byPrefix.stderr).toBe(`error[E_NOT_FOUND]: no record matches ${id.slice(0, 8)}\n`);
    const byId = mlmeta(dir, ['show', id]);
    expect(byId.code).toBe(1);
    expect(byId.stderr).toMatch(/^error\[(E_NOT_FOUND|E_CORRUPT_OBJECT)\]: [^\n]+\n$/);
    expect(byId.stdout).not.toContain('stolen');
    expect(mlmeta(dir, ['cat', id]).stdout).toBe('');
    expect(() => readObject(objects, id)).toThrow(/is in objects\/[0-9a-f]{2}, which is not a real folder \(a symlink\?\); refused/);
    expect(mlmeta(dir, ['find', '--json']).stdout).not.toContain('stolen');
    const v = JSON.parse(mlmeta(dir, ['verify', '--fix', '--json']).stdout);
    expect(v.checked).toBe(0);
    expect(v.findings).toContainEqual(expect.objectContaining({ path: `objects/${id.slice(0, 2)}` }));
    expect(snapshot(outside)).toEqual(before);
  });
});


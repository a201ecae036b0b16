// Faults: a full disk, a read-only store, symlinks planted in the store, a push cut off
// mid-transfer. Each ends in one clean line and a store that is still valid.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { git, gitRepo, snapshot, tempDir, write } from '../helpers/dirs.js';
import { startGitHttp } from '../helpers/git-http.js';
import { sha256Hex } from '../../src/store/objects.js';

const mounts: string[] = [];
afterEach(() => {
  for (const m of mounts.splice(0)) execFileSync('umount', ['-l', m]);
});

/** A small tmpfs of our own (CI and developers run as root on these machines). */
function smallDisk(kb: number): string {
  const dir = tempDir('mlmeta-disk-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

describe('disk faults', () => {
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

describe('symlinks planted in the store', () => {
  it('an object that is a symlink out of the store is refused, never followed', () => {
    const dir = tempDir();
    ok(dir, ['init']);
    const secret = write(tempDir(), 'secret.yaml', 'mlmeta: 1\nkind: model\nname: stolen\nversion: 1\ncreated: x\n');
    const id = sha256Hex(fs.readFileSync(secret));
    fs.mkdirSync(path.join(dir, '.mlmeta/objects', id.slice(0, 2)), { recursive: true });
    fs.symlinkSync(secret, path.join(dir, '.mlmeta/objects', id.slice(0, 2), `${id.slice(2)}.yaml`));
    const r = mlmeta(dir, ['show', id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error[E_CORRUPT_OBJECT]: object ${id} is a symlink; refused\n`);
    expect(mlmeta(dir, ['cat', id]).stdout).toBe('');
    expect(mlmeta(dir, ['verify']).code).toBe(1);
    expect(mlmeta(dir, ['find', '--json']).stdout).not.toContain('stolen');
  });

  it('a fan-out folder that is a symlink is neither read nor written through', () => {
    const dir = tempDir();
    ok(dir, ['init']);
    const outside = tempDir();
    // the id of the record we are about to write decides the fan-out folder; plant all 256
    for (let i = 0; i < 256; i++) fs.symlinkSync(outside, path.join(dir, '.mlmeta/objects', i.toString(16).padStart(2, '0')));
    const r = mlmeta(dir, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_IO\]: .* is not a folder \(a symlink or file planted in the store\?\)\n$/);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(mlmeta(dir, ['verify', '--json']).stdout).toMatch(/STRAY_FILE/);
  });
});

describe('push cut off mid-transfer', () => {
  it('leaves the local store and the remote ref valid; the retry completes', async () => {
    const root = tempDir('mlmeta-cut-');
    git(root, 'init', '-q', '--bare', '-b', 'main', path.join(root, 'r.git'));
    let server = await startGitHttp(root);
    const repo = gitRepo();
    git(repo, 'remote', 'add', 'origin', `${server.url}/r.git`);
    ok(repo, ['init']);
    // enough records that the push takes a while
    const objects = path.join(repo, '.mlmeta/objects');
    for (let i = 0; i < 1500; i++) {
      const bytes = `mlmeta: 1\nkind: model\nname: m${i}\nversion: 1\ncreated: '2026-01-01T00:00:00.000Z'\nparams:\n  pad: ${'p'.repeat(400)}\n`;
      const id = sha256Hex(bytes);
      fs.mkdirSync(path.join(objects, id.slice(0, 2)), { recursive: true });
      fs.writeFileSync(path.join(objects, id.slice(0, 2), `${id.slice(2)}.yaml`), bytes);
    }
    const before = snapshot(objects);
    const push = spawn(process.execPath, [path.resolve('bin/mlmeta.js'), 'push'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    push.stderr.on('data', (d) => { stderr += d; });
    const exit = new Promise<number>((resolve) => push.on('close', (c) => resolve(c ?? -1)));
    await new Promise((r) => setTimeout(r, 1200));
    await server.close();
    const code = await exit;
    if (code !== 0) expect(stderr).toMatch(/^error\[E_REMOTE\]: [^\n]+\n$/);
    expect(snapshot(objects)).toEqual(before);
    expect(mlmeta(repo, ['verify']).code).toBe(0);
    // the remote ref is either absent or a complete commit
    const refs = git(path.join(root, 'r.git'), 'for-each-ref', '--format=%(objectname)', 'refs/mlmeta/store').trim();
    if (refs) git(path.join(root, 'r.git'), 'fsck', '--strict', '--no-progress');
    server = await startGitHttp(root);
    try {
      git(repo, 'remote', 'set-url', 'origin', `${server.url}/r.git`);
      const again = JSON.parse(ok(repo, ['push', '--json']));
      expect(again.upToDate || again.sent > 0).toBe(true);
      const listed = git(path.join(root, 'r.git'), 'ls-tree', '-r', '--name-only', 'refs/mlmeta/store').trim().split('\n');
      expect(listed).toHaveLength(1500);
      git(path.join(root, 'r.git'), 'fsck', '--strict', '--no-progress');
    } finally {
      await server.close();
    }
  }, 180_000);
});

// Push skips listing a fan-out folder whose stamp (inode, mtime, ctime) is what it was when
// its listing was last mirrored (remote/mirror.ts TREE_CACHE). A folder changed with its mtime
// set back is still listed again: its ctime moved, and ctime cannot be set back.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateRecords, ok } from '../helpers/cli.js';
import { bareRemote, git, gitRepo } from '../helpers/dirs.js';
import { ids } from './sync-scenarios.js';


const remoteIds = (bare: string) =>
  git(bare, 'ls-tree', '-r', '--name-only', 'refs/mlmeta/store').trim().split('\n').filter(Boolean).map((p) => p.replace('/', '').replace('.yaml', '')).sort();

describe('the sync tree cache stamps fan-out folders', () => {
  it('a folder changed after its stamp, its mtime set back, is listed again and its new object pushed', async () => {
    const bare = bareRemote();
    const a = gitRepo();
    ok(a, ['init']);
    git(a, 'remote', 'add', 'origin', bare);
    // 2,000 records: every fan-out folder holds some, so the next record lands in a stamped one
    generateRecords(a, 2000);
    // stamps are only taken of folders last changed 3 s (RACY_MS) before
    await new Promise((r) => setTimeout(r, 3200));
    ok(a, ['push']);
    const cache = JSON.parse(fs.readFileSync(path.join(a, '.mlmeta/cache/sync-trees-v2.json'), 'utf8')) as Record<string, unknown[]>;
    const stamped = Object.entries(cache).filter(([, e]) => e.length === 4);
    expect(stamped.length).toBeGreaterThan(0); // the stamps were taken
    const objects = path.join(a, '.mlmeta/objects');
    const before = new Map(fs.readdirSync(objects).filter((f) => /^[0-9a-f]{2}$/.test(f)).map((f) => [f, fs.statSync(path.join(objects, f), { bigint: true })]));
    const id = ok(a, ['record', 'model', '--name', 'late', '--code', 'none', '--env', 'none']);
    const fan = path.join(objects, id.slice(0, 2));
    const old = before.get(id.slice(0, 2))!;
    expect(stamped.map(([f]) => f)).toContain(id.slice(0, 2));
    expect(fs.statSync(fan, { bigint: true }).mtimeNs).not.toBe(old.mtimeNs); // the new object changed the folder...
    const ns = old.mtimeNs % 1_000_000_000n;
    execFileSync('touch', ['-m', '-d', `@${old.mtimeNs / 1_000_000_000n}.${String(ns).padStart(9, '0')}`, fan]);
    expect(fs.statSync(fan, { bigint: true }).mtimeNs).toBe(old.mtimeNs); // ...and its mtime is set back to the nanosecond
    await new Promise((r) => setTimeout(r, 3200)); // past the racy window again: only the ctime tells
    ok(a, ['push']);
    expect(remoteIds(bare)).toEqual(ids(a));
    expect(remoteIds(bare)).toContain(id);
  }, 60_000);
});

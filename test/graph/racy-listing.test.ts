// A command refreshing a fan-out folder lists it, then waits for the index's write lock, and
// may reuse that listing inside the lock only if the folder's mtime was already past the racy
// window when it was listed. Review 9b: the window was judged when the listing was used, so
// a listing taken while the folder was fresh became trusted after a wait for another
// writer's lock, and an object added in the same timestamp tick (FAT, NFS, older kernels'
// coarse timestamps; emulated here by setting the mtime back) was never indexed.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, generateRecords, ok } from '../helpers/cli.js';
import { gitEnv, gitRepo } from '../helpers/dirs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a listing taken while its folder was fresh', () => {
  it('is not trusted after a wait for the write lock: an object added in the same tick is found', async () => {
    const source = gitRepo();
    ok(source, ['init']);
    generateRecords(source, 600);
    const srcObjects = path.join(source, '.mlmeta/objects');
    const fan = fs.readdirSync(srcObjects).find((f) => /^[0-9a-f]{2}$/.test(f) && fs.readdirSync(path.join(srcObjects, f)).length >= 2)!;
    const [x, y] = fs.readdirSync(path.join(srcObjects, fan)).sort() as [string, string];
    const repo = gitRepo();
    ok(repo, ['init']);
    ok(repo, ['record', 'model', '--name', 'first', '--code', 'none', '--env', 'none']);
    ok(repo, ['find']); // the index exists
    const dir = path.join(repo, '.mlmeta/objects', fan);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(srcObjects, fan, x), path.join(dir, x)); // the folder is fresh now
    const mtime = spawnSync('stat', ['-c', '%.9Y', dir], { encoding: 'utf8' }).stdout.trim();
    // another writer holds the index's write lock for 4 s
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => { exec(s: string): void; close(): void };
    const db = new Database(path.join(repo, '.mlmeta/cache/index.sqlite'));
    db.exec('BEGIN IMMEDIATE');
    const find = spawn(process.execPath, [BIN, 'find', '--json'], { cwd: repo, env: { ...process.env, ...gitEnv, MLMETA_DIR: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    find.stdout.on('data', (d) => (out += d));
    let running = true;
    const exited = new Promise((resolve) => find.on('close', () => { running = false; resolve(undefined); }));
    await sleep(1500); // find has listed the folder ({x}) and waits for the lock
    fs.copyFileSync(path.join(srcObjects, fan, y), path.join(dir, y));
    expect(spawnSync('touch', ['-d', `@${mtime}`, dir]).status).toBe(0); // the same tick: mtime unchanged
    const addedWhileWaiting = running;
    await sleep(2500); // past the racy window, still locked
    db.exec('COMMIT');
    db.close();
    await exited;
    expect(addedWhileWaiting).toBe(true);
    const ids = (s: string) => (JSON.parse(s) as Array<{ id: string }>).map((r) => r.id).filter((id) => id.startsWith(fan)).sort();
    const want = [x, y].map((n) => fan + n.slice(0, 62)).sort();
    // the racing find may or may not have seen y; the next command must
    expect(ids(out).every((id) => want.includes(id))).toBe(true);
    expect(ids(ok(repo, ['find', '--json']))).toEqual(want);
  }, 60_000);
});

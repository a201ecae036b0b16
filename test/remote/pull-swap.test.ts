// A pull writes its objects in one bulk write after checking each fan-out folder once
// (store/objects.ts planBulk). A folder swapped for a symlink while the objects are written
// must not get them written outside the store: files are created and named through the
// folder's descriptor, and each write looks at its folder again once its file has its name,
// removes it if the folder is not the one checked, and the pull refuses.
// (Found by review 4: before the fix, 17 objects landed outside and the pull reported success.)
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, generateRecords, ok } from '../helpers/cli.js';
import { bareRemote, git, gitEnv, gitRepo, tempDir } from '../helpers/dirs.js';
import { listAllIds } from '../../src/store/objects.js';


/** A pushed store of 2000 records, a fresh clone to pull it into, and the fan-out folders the pull writes first and last. */
function setup(): { b: string; fan: string; first: string } {
  const remote = bareRemote();
  const a = gitRepo();
  ok(a, ['init']);
  generateRecords(a, 2000);
  git(a, 'remote', 'add', 'origin', remote);
  ok(a, ['push']);
  // the fan-out folder written last (the pull writes folders in order)
  const fans = fs.readdirSync(path.join(a, '.mlmeta/objects')).filter((n) => /^[0-9a-f]{2}$/.test(n)).sort();
  const last = fans.at(-1)!;
  const b = gitRepo();
  ok(b, ['init']);
  git(b, 'remote', 'add', 'origin', remote);
  return { b, fan: path.join(b, '.mlmeta/objects', last), first: path.join(b, '.mlmeta/objects', fans[0]!) };
}

/** `mlmeta pull` in `b`, in the background: whether it still runs, and its exit code. */
function pullInBackground(b: string): { running: () => boolean; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'pull'], { cwd: b, env: { ...process.env, ...gitEnv }, stdio: 'ignore' });
  let running = true;
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => { running = false; resolve(code); }));
  return { running: () => running, exited };
}

describe('a fan-out folder swapped for a link during a pull', () => {
  it('writes nothing outside the store', async () => {
    const { b, fan } = setup();
    const outside = tempDir();
    const { exited } = pullInBackground(b);
    // the attacker: as soon as the pull has made the folder, swap it for a link
    const until = Date.now() + 60_000;
    while (!fs.existsSync(fan) && Date.now() < until) { /* spin */ }
    fs.renameSync(fan, `${fan}.moved`);
    fs.symlinkSync(outside, fan);
    const code = await exited;
    expect(fs.lstatSync(fan).isSymbolicLink()).toBe(true); // the swap happened
    const leaked = fs.readdirSync(outside);
    // before the fix: code 0 ("received 4000 new record(s)") and 17 objects in `outside`
    expect({ code: code === 0 ? 'ok' : 'refused', leaked: leaked.length }).toEqual({ code: 'refused', leaked: 0 });
  }, 120_000);

  // Review 9: the attacker put the real folder back as soon as a file appeared behind the link
  // (or, here, after a while): temp files created through the link were then left outside, and
  // the clean-up unlinked their names in the real folder. Files are now created through the
  // folder's descriptor (/proc/self/fd), so none ever lands behind the link.
  it('writes nothing outside the store when the folder is put back during the pull', async () => {
    const { b, fan } = setup();
    const outside = tempDir();
    const { running, exited } = pullInBackground(b);
    const until = Date.now() + 60_000;
    while (!fs.existsSync(fan) && Date.now() < until) { /* spin */ }
    fs.renameSync(fan, `${fan}.moved`);
    fs.symlinkSync(outside, fan);
    const swappedWhileRunning = running();
    const swappedAt = Date.now();
    // wait for a file behind the link (the build before the fix wrote ~10 there within ~0.2 s), at most 1 s
    while (fs.readdirSync(outside).length === 0 && Date.now() - swappedAt < 1000 && running()) await new Promise((r) => setImmediate(r));
    fs.unlinkSync(fan);
    fs.renameSync(`${fan}.moved`, fan);
    const code = await exited;
    expect(swappedWhileRunning).toBe(true); // the swap happened during the pull
    expect(fs.lstatSync(fan).isDirectory()).toBe(true); // and the folder was put back
    expect({ leaked: fs.readdirSync(outside) }).toEqual({ leaked: [] });
    // the store is whole after the next pull, whatever the first one did
    expect([0, 1]).toContain(code);
    ok(b, ['pull']);
    ok(b, ['verify']); // exits 1 on any error
    expect(listAllIds(path.join(b, '.mlmeta/objects'))).toHaveLength(2000);
  }, 120_000);

  // Review 9c: the clean-up after a refusal stopped at the swapped folder, leaving the temp
  // files of every other folder behind (3000 of them in its run).
  it('removes its temp files from every other folder when one is swapped', async () => {
    const { b, first } = setup();
    const { running, exited } = pullInBackground(b);
    const until = Date.now() + 60_000;
    const hasTemp = () => { try { return fs.readdirSync(first).some((n) => n.startsWith('.tmp-')); } catch { return false; } };
    while (!hasTemp() && running() && Date.now() < until) await new Promise((r) => setImmediate(r));
    // the first folder written is swapped for another (empty) folder once its temp files are there
    fs.renameSync(first, `${first}.moved`);
    fs.mkdirSync(first);
    const swappedWhileRunning = running();
    const code = await exited;
    expect(swappedWhileRunning).toBe(true);
    expect(code).toBe(1); // refused
    const objects = path.dirname(first);
    const left = fs.readdirSync(objects).filter((f) => /^[0-9a-f]{2}$/.test(f)).flatMap((f) => fs.readdirSync(path.join(objects, f)).filter((n) => n.startsWith('.tmp-')));
    expect(left).toEqual([]);
  }, 120_000);
});

// A pull writes its objects in one bulk write after checking each fan-out folder once
// (store/objects.ts planBulk). A folder swapped for a symlink while the objects are written
// must not get them written outside the store: each write looks at its folder again once its
// file has its name, removes it if the folder is not the one checked, and the pull refuses.
// (Found by review 4: before the fix, 17 objects landed outside and the pull reported success.)
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, generateRecords, ok } from '../helpers/cli.js';
import { bareRemote, git, gitEnv, gitRepo, tempDir } from '../helpers/dirs.js';


describe('a fan-out folder swapped for a link during a pull', () => {
  it('writes nothing outside the store', async () => {
    const remote = bareRemote();
    const a = gitRepo();
    ok(a, ['init']);
    generateRecords(a, 2000);
    git(a, 'remote', 'add', 'origin', remote);
    ok(a, ['push']);
    // the fan-out folder written last (the pull writes folders in order)
    const last = fs.readdirSync(path.join(a, '.mlmeta/objects')).filter((n) => /^[0-9a-f]{2}$/.test(n)).sort().at(-1)!;
    const b = gitRepo();
    ok(b, ['init']);
    git(b, 'remote', 'add', 'origin', remote);
    const outside = tempDir();
    const fan = path.join(b, '.mlmeta/objects', last);
    const child = spawn(process.execPath, [BIN, 'pull'], { cwd: b, env: { ...process.env, ...gitEnv }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
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
});

// The sync repository's git processes (fast-import, cat-file, fetch, push) run without the
// variables that point git at another repository: git sets GIT_OBJECT_DIRECTORY for hooks run
// by receive-pack. (Found by review 4: the push's blobs went into the foreign folder and the
// push failed with "kept moving; 5 attempts failed".)
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateRecords, mlmeta, ok } from '../helpers/cli.js';
import { bareRemote, git, gitRepo, tempDir } from '../helpers/dirs.js';


describe('GIT_OBJECT_DIRECTORY in the environment', () => {
  it('push writes nothing into a foreign object folder and succeeds (or refuses plainly)', () => {
    const remote = bareRemote();
    const a = gitRepo();
    ok(a, ['init']);
    generateRecords(a, 100);
    git(a, 'remote', 'add', 'origin', remote);
    const foreign = tempDir();
    const r = mlmeta(a, ['push'], { GIT_OBJECT_DIRECTORY: foreign });
    const written = fs.readdirSync(foreign, { recursive: true }).length;
    // before the fix: exit 1, "the remote's refs/mlmeta/store kept moving; 5 attempts failed", and a pack in `foreign`
    expect({ written, misleading: /kept moving/.test(r.stderr) }).toEqual({ written: 0, misleading: false });
  });
});

// Which store a command uses: never one above the git work tree it runs in, and a committed
// store with no records yet is still a store in a clone. And what the store's .gitignore keeps
// out of commits.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { git, gitRepo, snapshot, tempDir, write } from '../helpers/dirs.js';

/** A project with a store and one record, as the parent a nested repo sits in. */
function parentProject(): string {
  const parent = gitRepo();
  ok(parent, ['init']);
  ok(parent, ['record', 'model', '--name', 'parent-model', '--code', 'none', '--env', 'none']);
  return parent;
}

function objectExists(storeRoot: string, id: string): boolean {
  return fs.existsSync(path.join(storeRoot, 'objects', id.slice(0, 2), `${id.slice(2)}.yaml`));
}

describe('store lookup stops at the git work tree', () => {
  it('a clone of a repo with a committed, empty store, inside another project, records into its own store', () => {
    const parent = parentProject();
    const origin = gitRepo();
    ok(origin, ['init']);
    git(origin, 'add', '-A');
    git(origin, 'commit', '-q', '-m', 'add the mlmeta store');
    const clone = path.join(parent, 'vendor', 'child');
    git(parent, 'clone', '-q', origin, clone);
    // git keeps objects/ (the placeholder) so the clone has the whole store
    expect(fs.existsSync(path.join(clone, '.mlmeta/objects'))).toBe(true);
    const before = snapshot(path.join(parent, '.mlmeta/objects'));
    const id = ok(clone, ['record', 'model', '--name', 'child-model', '--code', 'none', '--env', 'none']);
    expect(objectExists(path.join(clone, '.mlmeta'), id)).toBe(true);
    expect(snapshot(path.join(parent, '.mlmeta/objects'))).toEqual(before);
    expect(JSON.parse(ok(clone, ['find', '--json'])).map((h: { record: { name: string } }) => h.record.name)).toEqual(['child-model']);
  });

  it('a store whose objects/ git dropped (config.yaml only) is recognised: reads see 0 records, the first write makes objects/', () => {
    const parent = parentProject();
    const nested = path.join(parent, 'sub');
    fs.mkdirSync(nested);
    git(nested, 'init', '-q', '-b', 'main');
    write(nested, '.mlmeta/config.yaml', 'format: 1\n');
    const before = snapshot(path.join(parent, '.mlmeta'));
    expect(JSON.parse(ok(nested, ['find', '--json']))).toEqual([]);
    const v = JSON.parse(ok(nested, ['verify', '--json']));
    expect(v.checked).toBe(0);
    const id = ok(path.join(nested), ['record', 'model', '--name', 'n', '--code', 'none', '--env', 'none']);
    expect(objectExists(path.join(nested, '.mlmeta'), id)).toBe(true);
    expect(snapshot(path.join(parent, '.mlmeta'))).toEqual(before);
  });

  it('a nested git repo without a store: E_NO_STORE, the parent store untouched', () => {
    const parent = parentProject();
    const nested = path.join(parent, 'sub', 'deeper');
    fs.mkdirSync(nested, { recursive: true });
    git(path.join(parent, 'sub'), 'init', '-q', '-b', 'main');
    const before = snapshot(path.join(parent, '.mlmeta'));
    const r = mlmeta(nested, ['record', 'model', '--name', 'n', '--code', 'none', '--env', 'none']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error[E_NO_STORE]: no mlmeta store in this git work tree (${path.join(parent, 'sub')}); run \`mlmeta init\`\n`);
    expect(snapshot(path.join(parent, '.mlmeta'))).toEqual(before);
    // a folder (not a repo) inside the project still finds the project's store
    fs.mkdirSync(path.join(parent, 'src'));
    expect(ok(path.join(parent, 'src'), ['show', 'parent-model', '--json'])).toContain('parent-model');
  });

  it('the placeholder keeping objects/ is no object: not listed, not a stray for verify', () => {
    const dir = tempDir();
    ok(dir, ['init']);
    expect(fs.readdirSync(path.join(dir, '.mlmeta/objects'))).toEqual(['.keep']);
    ok(dir, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none']);
    expect(JSON.parse(ok(dir, ['find', '--json']))).toHaveLength(1);
    // needs verify to list strays with objects.ts strayEntries (integrator: src/api/verify.ts)
    const v = JSON.parse(mlmeta(dir, ['verify', '--fix', '--json']).stdout);
    expect(v.findings.filter((f: { finding: string }) => f.finding === 'STRAY_FILE')).toEqual([]);
    expect(fs.existsSync(path.join(dir, '.mlmeta/objects/.keep'))).toBe(true);
  });
});

describe("the store's .gitignore", () => {
  it('keeps temp and lock files out of git', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'store');
    write(repo, '.mlmeta/objects/ab/.tmp-x', 'half an object');
    write(repo, '.mlmeta/objects/.tmp-y', 'half');
    write(repo, '.mlmeta/write.lock', 'abcd1234 1 2\n');
    write(repo, '.mlmeta/objects/cd/' + 'e'.repeat(62) + '.yaml', 'kind: model\n');
    expect(git(repo, 'status', '--porcelain', '--untracked-files=all')).toBe(`?? .mlmeta/objects/cd/${'e'.repeat(62)}.yaml\n`);
  });

  it('gains the missing lines in a store made before them, once, keeping the user lines', () => {
    const dir = tempDir();
    ok(dir, ['init']);
    const gi = path.join(dir, '.mlmeta/.gitignore');
    fs.writeFileSync(gi, '# derived data, rebuilt on demand\ncache/\nmy-notes.txt');
    ok(dir, ['init']);
    const text = fs.readFileSync(gi, 'utf8');
    expect(text.split('\n')).toEqual(expect.arrayContaining(['cache', 'my-notes.txt', '.tmp-*', '*.lock']));
    ok(dir, ['init']);
    expect(fs.readFileSync(gi, 'utf8')).toBe(text);
  });

  it('init never writes through a symlink planted at .gitignore', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, '.mlmeta'));
    const target = write(tempDir(), 'bashrc', 'export A=1\n');
    fs.symlinkSync(target, path.join(dir, '.mlmeta/.gitignore'));
    ok(dir, ['init']);
    expect(fs.readFileSync(target, 'utf8')).toBe('export A=1\n');
    expect(fs.lstatSync(path.join(dir, '.mlmeta/.gitignore')).isFile()).toBe(true);
    expect(fs.readFileSync(path.join(dir, '.mlmeta/.gitignore'), 'utf8')).toContain('.tmp-*');
  });
});

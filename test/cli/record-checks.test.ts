// `mlmeta record`: a refusal leaves the store as it was, datasets included (ISSUE14 §4);
// `record dataset PATH` keeps its excludes, refuses flags that do not apply and warns of
// an empty folder (ISSUE14 §5, ISSUE15 §14).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { gitRepo, snapshot, write } from '../helpers/dirs.js';

function project(): string {
  const repo = gitRepo();
  write(repo, 'data/a.csv', 'x,y\n1,2\n');
  ok(repo, ['init']);
  return repo;
}

const objects = (repo: string) => snapshot(path.join(repo, '.mlmeta/objects'));

describe('record writes nothing until every record is valid', () => {
  const cases: Array<[string, (repo: string) => string[], string]> = [
    ['a bad name, with --data', () => ['--name', 'a@b', '--data', 'data'], 'E_BAD_INPUT'],
    ['a params file holding .inf, with --data', (repo) => { write(repo, 'p.yaml', 'lr: .inf\n'); return ['--name', 'm', '--params', 'p.yaml', '--data', 'data']; }, 'E_BAD_INPUT'],
    ['a metrics file holding text, with --data', (repo) => { write(repo, 'm.yaml', 'auc: high\n'); return ['--name', 'm', '--metrics', 'm.yaml', '--data', 'data']; }, 'E_BAD_INPUT'],
    ['an unknown parent, with --data', () => ['--name', 'm', '--parent', 'nosuch', '--data', 'data'], 'E_NOT_FOUND'],
    ['an artifact that does not exist, with --data', () => ['--name', 'm', '--artifact', 'nope.bin', '--data', 'data'], 'E_NOT_FOUND'],
  ];
  for (const [title, args, code] of cases) {
    it(title, () => {
      const repo = project();
      const extra = args(repo);
      const before = objects(repo);
      const r = mlmeta(repo, ['record', 'model', ...extra]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^error\\[${code}\\]: [^\\n]*\\n$`));
      expect(objects(repo)).toEqual(before);
    });
  }
});

describe('record dataset PATH', () => {
  it('stores its --exclude globs, and only reuses a head recorded with the same ones', () => {
    const repo = project();
    const plain = JSON.parse(ok(repo, ['record', 'dataset', 'data', '--json']));
    expect(JSON.parse(ok(repo, ['show', plain.id, '--json'])).record.exclude).toBeUndefined();
    // the same files, now with an exclude that status must re-apply: a new version that says so
    const ex = JSON.parse(ok(repo, ['record', 'dataset', 'data', '--exclude', '*.tmp', '--json']));
    expect(ex).toMatchObject({ reused: false, version: 2, digest: plain.digest });
    expect(JSON.parse(ok(repo, ['show', ex.id, '--json'])).record.exclude).toEqual(['*.tmp']);
    write(repo, 'data/junk.tmp', 'junk');
    expect(JSON.parse(ok(repo, ['record', 'dataset', 'data', '--exclude', '*.tmp', '--json']))).toMatchObject({ id: ex.id, reused: true });
  });

  it('refuses the flags of other records, naming them, with the store unchanged', () => {
    const repo = project();
    const before = objects(repo);
    const r = mlmeta(repo, ['record', 'dataset', 'data', '--param', 'x=1', '--metric', 'auc=1', '--env', 'GPU=a100', '--parent', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error[E_USAGE]: record dataset PATH… does not take --param, --metric, --env, --parent\n');
    const x = mlmeta(repo, ['record', 'model', '--name', 'm', '--exclude', '*.tmp']);
    expect(x.code).toBe(2);
    expect(x.stderr).toBe('error[E_USAGE]: --exclude is only for `record dataset PATH…`\n');
    expect(objects(repo)).toEqual(before);
  });

  it('warns that git will not keep an empty folder', () => {
    const repo = project();
    fs.mkdirSync(path.join(repo, 'empty'));
    const r = mlmeta(repo, ['record', 'dataset', 'empty']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('warning: empty holds no files: git does not keep an empty folder, so a clone will not have it\n');
    expect(JSON.parse(ok(repo, ['show', 'empty', '--json'])).record.file_count).toBe(0);
  });
});

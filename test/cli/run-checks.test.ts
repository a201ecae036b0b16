// `mlmeta run` checks every argument before the command starts and writes nothing until
// the whole record set (datasets, output manifests, run, model) is known to be valid
// (ISSUE14 §4); folder outputs (ISSUE15 §10); `--json` keeps the command's stdout out of
// the JSON (ISSUE15 §11); data outside the project gets a default name (ISSUE14 §5).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/store/objects.js';
import { mlmeta, ok } from '../helpers/cli.js';
import { git, gitRepo, snapshot, tempDir, write } from '../helpers/dirs.js';

function project(): string {
  const repo = gitRepo();
  write(repo, 'data/a.csv', 'x,y\n1,2\n');
  write(repo, 'data/b.csv', 'x,y\n3,4\n');
  write(repo, '.gitignore', 'marker\nout/\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'project');
  ok(repo, ['init']);
  return repo;
}

const objects = (repo: string) => snapshot(path.join(repo, '.mlmeta/objects'));
/** A command that leaves a trace: if `marker` exists, the command ran. */
const TOUCH = ['--', 'sh', '-c', 'echo ran > marker'];

describe('run refuses bad arguments before the command starts, writing nothing', () => {
  const cases: Array<[string, (repo: string) => string[], string]> = [
    ['a model name with @', () => ['--model', 'bad@name', '--input', 'data'], 'E_BAD_INPUT'],
    ['a model name whose -run suffix passes 200 characters', () => ['--model', 'm'.repeat(198), '--input', 'data'], 'E_BAD_INPUT'],
    ['a run name with a control character', () => ['--name', 'a\u0007b'], 'E_BAD_INPUT'],
    ['a param that is not a finite number', () => ['--param', 'x=.inf', '--input', 'data'], 'E_BAD_INPUT'],
    ['a params file holding NaN', (repo) => { write(repo, 'p.yaml', 'lr: .nan\n'); return ['--params', 'p.yaml', '--input', 'data']; }, 'E_BAD_INPUT'],
    ['a commit that does not exist', () => ['--code', 'no-such-rev', '--input', 'data'], 'E_GIT'],
    ['an output inside the store', () => ['--output', '.mlmeta/model.bin'], 'E_BAD_INPUT'],
    ['an output that holds the store', () => ['--output', '.'], 'E_BAD_INPUT'],
    ['an output given twice', () => ['--output', 'model.bin', '--output', './model.bin'], 'E_BAD_INPUT'],
    ['an output that is a FIFO', (repo) => { execFileSync('mkfifo', [path.join(repo, 'pipe')]); return ['--output', 'pipe']; }, 'E_BAD_INPUT'],
  ];
  for (const [title, args, code] of cases) {
    it(title, () => {
      const repo = project();
      const extra = args(repo);
      const before = objects(repo);
      const r = mlmeta(repo, ['run', ...extra, ...TOUCH]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^error\\[${code}\\]: [^\\n]*\\n$`));
      expect(fs.existsSync(path.join(repo, 'marker')), 'the command ran').toBe(false);
      expect(objects(repo)).toEqual(before);
    });
  }
});

describe('run writes nothing when it records nothing', () => {
  it('a command that cannot start leaves no dataset behind', () => {
    const repo = project();
    const before = objects(repo);
    const r = mlmeta(repo, ['run', '--input', 'data', '--', 'no-such-command-xyz']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error[E_COMMAND_FAILED]: cannot start "no-such-command-xyz": command not found\n');
    expect(objects(repo)).toEqual(before);
  });

  it('an output the command did not write leaves no dataset behind', () => {
    const repo = project();
    const before = objects(repo);
    const r = mlmeta(repo, ['run', '--model', 'm', '--input', 'data', '--output', 'never.bin', ...TOUCH]);
    expect(fs.existsSync(path.join(repo, 'marker'))).toBe(true);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_OUTPUT\]: output never.bin does not exist after the command; nothing was recorded\n$/);
    expect(objects(repo)).toEqual(before);
  });

  it('a failing command is still recorded as a failed run, with its inputs', () => {
    const repo = project();
    const r = mlmeta(repo, ['run', '--model', 'm', '--input', 'data', '--', 'sh', '-c', 'exit 3']);
    expect(r.code).toBe(3);
    const run = JSON.parse(ok(repo, ['show', 'm-run', '--json']));
    expect(run.record).toMatchObject({ status: 'failed', exit_code: 3 });
    expect(run.parents.map((p: { role: string }) => p.role)).toEqual(['data']);
    expect(JSON.parse(ok(repo, ['show', 'data', '--json'])).record.file_count).toBe(2);
  });
});

describe('folder outputs', () => {
  const SAVE = ['--', 'sh', '-c', 'mkdir -p out/sub && echo weights > out/sub/w.bin && echo "{}" > out/config.json'];

  it('are hashed like datasets into a manifest, linked from the run and the model', () => {
    const repo = project();
    const r = mlmeta(repo, ['run', '--model', 'm', '--output', 'out', ...SAVE]);
    expect(r.code, r.stderr).toBe(0);
    const model = JSON.parse(ok(repo, ['show', 'm', '--kind', 'model', '--json']));
    const files = ['out/config.json', 'out/sub/w.bin'].map((p) => ({ path: p, sha256: sha256Hex(fs.readFileSync(path.join(repo, p))), size: fs.statSync(path.join(repo, p)).size }));
    // the documented recipe: sha256 of the sha256sum listing
    const digest = sha256Hex(files.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
    const manifestId = model.parents.find((p: { role: string }) => p.role === 'manifest').id;
    expect(model.record.artifacts).toEqual([{ path: 'out', sha256: digest, size: files[0]!.size + files[1]!.size, file_count: 2, manifest: manifestId }]);
    expect(JSON.parse(ok(repo, ['show', manifestId, '--json'])).record).toEqual({ mlmeta: 1, kind: 'manifest', digest, files });
    const run = JSON.parse(ok(repo, ['show', 'm-run', '--json']));
    expect(run.record.outputs).toEqual(model.record.artifacts);
    expect(run.record.parents).toContainEqual({ role: 'manifest', id: manifestId });
    expect(mlmeta(repo, ['verify']).code).toBe(0);
  });

  it('must be written by the command: any file changed, added or removed', () => {
    const repo = project();
    ok(repo, ['run', '--model', 'm', '--output', 'out', ...SAVE]);
    const before = objects(repo);
    const r = mlmeta(repo, ['run', '--model', 'm', '--output', 'out', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error[E_OUTPUT]: output out was not written by the command (unchanged since before it ran); nothing was recorded\n');
    expect(objects(repo)).toEqual(before);
    // removing one file deep inside is writing the folder
    expect(mlmeta(repo, ['run', '--model', 'm', '--output', 'out', '--', 'rm', 'out/sub/w.bin']).code).toBe(0);
    expect(JSON.parse(ok(repo, ['show', 'm', '--kind', 'model', '--json'])).record).toMatchObject({ version: 2, artifacts: [{ path: 'out', file_count: 1 }] });
  });

  it('a file whose name is not UTF-8 is recorded escaped, as a dataset records it', () => {
    const repo = project();
    const r = mlmeta(repo, ['run', '--model', 'm', '--output', 'out', '--', 'python3', '-c', "import os; os.makedirs('out'); open(b'out/bad\\xffname', 'wb').write(b'q')"]);
    expect(r.code, r.stderr).toBe(0);
    const model = JSON.parse(ok(repo, ['show', 'm', '--kind', 'model', '--json']));
    const manifestId = model.parents.find((p: { role: string }) => p.role === 'manifest').id;
    expect(JSON.parse(ok(repo, ['show', manifestId, '--json'])).record.files).toEqual([{ path: 'out/bad\\xffname', sha256: sha256Hex('q'), size: 1, escaped: true }]);
    // and the same folder, unchanged, is refused as not written
    expect(mlmeta(repo, ['run', '--model', 'm', '--output', 'out', '--', 'true']).stderr).toContain('was not written by the command');
  });
});

describe('run --json', () => {
  it("sends the command's stdout to stderr, keeping stdout pure JSON", () => {
    const repo = project();
    const r = mlmeta(repo, ['run', '--json', '--', 'sh', '-c', 'echo hello']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ exitCode: 0 });
    expect(res.run).toMatch(/^[0-9a-f]{64}$/);
    expect(r.stderr).toContain('hello\n');
  });
});

describe('data outside the project', () => {
  it('run --input and record --data name it by its last path segment, with a warning', () => {
    const repo = project();
    const outside = path.join(tempDir(), 'shared-train');
    write(outside, 'x.csv', '1\n');
    const r = mlmeta(repo, ['run', '--model', 'm', '--input', outside, '--', 'true']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: ${outside} is outside the project: recorded as dataset "shared-train"`);
    expect(JSON.parse(ok(repo, ['show', 'shared-train', '--json'])).record).toMatchObject({ kind: 'dataset', version: 1, paths: [outside], outside_project: true });
    const rec = mlmeta(repo, ['record', 'eval', '--data', outside, '--metric', 'auc=0.5']);
    expect(rec.code, rec.stderr).toBe(0);
    // same data: the same dataset version
    expect(JSON.parse(ok(repo, ['show', rec.stdout.trim(), '--json'])).parents).toEqual([{ role: 'data', id: JSON.parse(ok(repo, ['show', 'shared-train', '--json'])).id, label: expect.any(String) }]);
  });
});

// Defects an adversarial review reproduced after the trust fixes landed: a linked store,
// data that takes over another line, exclude patterns that record another file set, status
// trusting planted paths, the store recorded as data, a run lost to its metrics file,
// `which` of a folder, a planted lock folder, loose count flags, stdout errors, --version.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, mlmeta, ok } from '../helpers/cli.js';
import { gitRepo, snapshot, tempDir, write } from '../helpers/dirs.js';
import { sha256Hex } from '../../src/store/objects.js';

const quiet = ['--code', 'none', '--env', 'none'];

function project(): string {
  const repo = gitRepo();
  ok(repo, ['init']);
  return repo;
}

/** Write bytes as an object, as a collaborator's commit would bring them. */
function plant(repo: string, text: string): string {
  const id = sha256Hex(text);
  write(repo, `.mlmeta/objects/${id.slice(0, 2)}/${id.slice(2)}.yaml`, text);
  return id;
}

const oneLine = (stderr: string, code: string) => expect(stderr).toMatch(new RegExp(`^error\\[${code}\\]: [^\\n]+\\n$`));

describe('a .mlmeta that is a symlink', () => {
  it('is refused when found by walking up, and nothing is written where it points', () => {
    const elsewhere = tempDir();
    ok(elsewhere, ['init']);
    const before = snapshot(path.join(elsewhere, '.mlmeta'));
    const repo = gitRepo();
    fs.symlinkSync(path.join(elsewhere, '.mlmeta'), path.join(repo, '.mlmeta'));
    write(repo, 'data/a.txt', 'a\n');
    for (const args of [['record', 'dataset', 'data'], ['init'], ['log']]) {
      const r = mlmeta(repo, args);
      expect(r.code, args.join(' ')).toBe(1);
      oneLine(r.stderr, 'E_IO');
      expect(r.stderr).toMatch(/is a symlink .*refused/);
    }
    expect(snapshot(path.join(elsewhere, '.mlmeta'))).toEqual(before);
  });
});

describe('data outside the project', () => {
  it('cannot become the next version of an unrelated line by its default name', () => {
    const repo = project();
    write(repo, 'data/a', 'a\n');
    ok(repo, ['record', 'dataset', 'data']);
    const outside = tempDir();
    write(outside, 'data/z', 'z\n');
    const before = snapshot(path.join(repo, '.mlmeta/objects'));
    const r = mlmeta(repo, ['record', 'model', '--name', 'm', '--data', path.join(outside, 'data'), ...quiet]);
    expect(r.code).toBe(1);
    oneLine(r.stderr, 'E_BAD_INPUT');
    expect(r.stderr).toMatch(/already a dataset of other files/);
    expect(snapshot(path.join(repo, '.mlmeta/objects'))).toEqual(before);
    // the same outside folder under its own name is fine, and again reuses that line
    const other = tempDir();
    write(other, 'fresh/z', 'z\n');
    ok(repo, ['record', 'model', '--name', 'm', '--data', path.join(other, 'fresh'), ...quiet]);
    ok(repo, ['record', 'model', '--name', 'm', '--data', path.join(other, 'fresh'), ...quiet]);
    expect(JSON.parse(ok(repo, ['show', 'fresh', '--json'])).record.version).toBe(1);
  });
});

describe('--exclude patterns', () => {
  it('refuses ! re-inclusion and empty patterns instead of recording another file set', () => {
    const repo = project();
    write(repo, 'data/a.csv', '1\n');
    write(repo, 'data/keep.tmp', '2\n');
    write(repo, 'data/sub/b.csv', '3\n');
    const before = snapshot(path.join(repo, '.mlmeta'));
    for (const ex of [['*.tmp', '!keep.tmp'], ['!*.csv'], [''], ['/']]) {
      const r = mlmeta(repo, ['record', 'dataset', 'data', ...ex.flatMap((e) => ['--exclude', e])]);
      expect(r.code, JSON.stringify(ex)).toBe(2);
      oneLine(r.stderr, 'E_USAGE');
    }
    expect(snapshot(path.join(repo, '.mlmeta'))).toEqual(before);
  });
});

describe('status and planted records', () => {
  it('does not follow paths out of the project, and one bad dataset does not hide the others', () => {
    const repo = project();
    write(repo, 'data/a', 'a\n');
    ok(repo, ['record', 'dataset', 'data']);
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const manifest = plant(repo, `digest: ${empty}\nfiles: []\nkind: manifest\nmlmeta: 1\n`);
    const evil = (name: string, p: string) => plant(repo, `created: '2026-01-01T00:00:00.000Z'\ndigest: ${empty}\nfile_count: 0\nkind: dataset\nmlmeta: 1\nname: ${name}\nparents:\n  - id: ${manifest}\n    role: manifest\npaths:\n  - ${p}\nsize: 0\nversion: 1\n`);
    evil('zero', '/dev/zero');
    evil('escape', '../../../../../../etc');
    const t0 = Date.now();
    const r = mlmeta(repo, ['status', '--json']);
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    const byName = new Map((JSON.parse(r.stdout).datasets as Array<{ name: string; state: string; problem?: string; added: string[] }>).map((d) => [d.name, d]));
    expect(byName.get('data')?.state).toBe('clean');
    expect(byName.get('zero')).toMatchObject({ state: 'unchecked', added: [] });
    expect(byName.get('escape')).toMatchObject({ state: 'unchecked', added: [] });
    expect(byName.get('escape')?.problem).toMatch(/outside the project/);
    expect(mlmeta(repo, ['status']).stdout).toMatch(/dataset escape@1: unchecked\n    recorded path .* is outside the project; not looked at/);
  });
});

describe('the store is not data', () => {
  it('refuses .mlmeta and anything inside it as a dataset', () => {
    const repo = project();
    ok(repo, ['record', 'model', '--name', 'm', ...quiet]);
    const before = snapshot(path.join(repo, '.mlmeta/objects'));
    for (const p of ['.mlmeta', '.mlmeta/objects']) {
      const r = mlmeta(repo, ['record', 'dataset', p, '--name', 'x']);
      expect(r.code, p).toBe(1);
      oneLine(r.stderr, 'E_BAD_INPUT');
    }
    expect(snapshot(path.join(repo, '.mlmeta/objects'))).toEqual(before);
  });
});

describe('a successful run whose metrics file is missing or bad', () => {
  it('is recorded, without those metrics and with a warning', () => {
    const repo = project();
    write(repo, 'data/a', 'a\n');
    const bad = mlmeta(repo, ['run', '--model', 'm', '--input', 'data', '--metrics', 'm.json', ...quiet, '--', 'sh', '-c', 'echo \'{"acc": "high"}\' > m.json']);
    expect(bad.code).toBe(0);
    expect(bad.stderr).toMatch(/warning: metrics file m\.json not recorded: .*not a number/);
    const missing = mlmeta(repo, ['run', '--model', 'm', '--input', 'data', '--metrics', 'none.json', ...quiet, '--', 'true']);
    expect(missing.code).toBe(0);
    expect(missing.stderr).toMatch(/warning: metrics file none\.json not recorded/);
    const m = JSON.parse(ok(repo, ['show', 'm', '--json'])).record;
    expect(m.version).toBe(2);
    expect(m.metrics).toBeUndefined();
  });
});

describe('which of a folder', () => {
  it('finds the run and model whose folder output it is', () => {
    const repo = project();
    write(repo, 'data/a', 'a\n');
    const model = ok(repo, ['run', '--model', 'm', '--input', 'data', '--output', 'out', ...quiet, '--', 'sh', '-c', 'mkdir -p out && echo w > out/w']);
    const res = JSON.parse(ok(repo, ['which', 'out', '--json']));
    expect(res.matches.map((m: { id: string; as: string }) => [m.id, m.as])).toEqual(expect.arrayContaining([[model, 'artifact']]));
    expect(res.matches.some((m: { kind: string; as: string }) => m.kind === 'run' && m.as === 'output')).toBe(true);
    // and a file inside it
    const inside = JSON.parse(ok(repo, ['which', 'out/w', '--json']));
    expect(inside.matches.some((m: { id: string; path: string }) => m.id === model && m.path === 'out/w')).toBe(true);
  });
});

describe('a planted lock folder', () => {
  it('is replaced, never written through', () => {
    const repo = project();
    const outside = tempDir();
    fs.rmSync(path.join(repo, '.mlmeta/cache'), { recursive: true, force: true });
    fs.mkdirSync(path.join(repo, '.mlmeta/cache'));
    fs.symlinkSync(outside, path.join(repo, '.mlmeta/cache/locks'));
    ok(repo, ['record', 'model', '--name', 'm', ...quiet]);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.lstatSync(path.join(repo, '.mlmeta/cache/locks')).isDirectory()).toBe(true);
  });
});

describe('secrets in messages', () => {
  it('-m text is redacted like every other field, with a warning, nowhere under .mlmeta', () => {
    const repo = project();
    const secrets = ['sk-abcdefghijklmnopqrstuvwx', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'sc-GGG999'];
    const r = mlmeta(repo, ['record', 'model', '--name', 'm', ...quiet, '-m', `used ${secrets[0]} token=${secrets[2]} and ${secrets[1]}`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: message: redacted/);
    const all = [...snapshot(path.join(repo, '.mlmeta')).values()].map((b) => Buffer.from(b, 'base64').toString('latin1')).join('\n');
    for (const secret of secrets) expect(all).not.toContain(secret);
    expect(JSON.parse(ok(repo, ['show', 'm', '--json'])).record.message).toMatch(/^used .*\[redacted\]/);
  });
});

describe('the command line', () => {
  it('refuses count flags that are not digits', () => {
    const repo = project();
    ok(repo, ['record', 'model', '--name', 'm', ...quiet]);
    for (const args of [['lineage', 'm', '--depth', ''], ['lineage', 'm', '--depth'], ['lineage', 'm', '--depth', '0x10'], ['lineage', 'm', '--depth', '1e3'], ['find', '--limit', '-1'], ['find', '--limit', '2.5']]) {
      const r = mlmeta(repo, args);
      expect(r.code, JSON.stringify(args)).toBe(2);
      oneLine(r.stderr, 'E_USAGE');
    }
    expect(ok(repo, ['lineage', 'm', '--depth', '0'])).toMatch(/m@1/);
  });

  it('lineage of a malformed record says it is corrupt', () => {
    const repo = project();
    const id = plant(repo, `created: '2026-01-01T00:00:00.000Z'\nkind: model\nmlmeta: 1\nname: "bad\\e[31m"\nversion: 1\n`);
    const r = mlmeta(repo, ['lineage', id]);
    expect(r.code).toBe(1);
    oneLine(r.stderr, 'E_CORRUPT_OBJECT');
  });

  it('a failed write to stdout is one E_IO line, not a stack trace', () => {
    const repo = project();
    for (let i = 0; i < 3; i++) ok(repo, ['record', 'model', '--name', `m${i}`, ...quiet]);
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" log > /dev/full`], { cwd: repo, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_IO\]: cannot write the output: ENOSPC\n$/);
  });

  it('--version prints the package version', () => {
    const { version } = JSON.parse(fs.readFileSync(path.resolve(path.dirname(BIN), '../package.json'), 'utf8'));
    expect(ok(tempDir(), ['--version'])).toBe(version);
  });

  it('show --yaml and cat give the stored bytes to a pipe, and escape bidi controls on a terminal', () => {
    const repo = project();
    const id = plant(repo, `created: '2026-01-01T00:00:00.000Z'\nkind: model\nmlmeta: 1\nname: m\nmessage: a\u202eb\nversion: 1\n`);
    const bytes = fs.readFileSync(path.join(repo, '.mlmeta/objects', id.slice(0, 2), `${id.slice(2)}.yaml`), 'utf8');
    expect(ok(repo, ['cat', id]) + '\n').toBe(bytes);
    expect(ok(repo, ['show', id, '--yaml']) + '\n').toBe(bytes);
    expect(bytes).toContain('\u202e'); // js-yaml keeps bidi controls raw: the danger is real
    for (const args of [['cat', id], ['show', id, '--yaml']]) {
      // script(1) runs the command on a pseudo-terminal
      const tty = spawnSync('script', ['-qec', `"${process.execPath}" "${BIN}" ${args.join(' ')}`, '/dev/null'], { cwd: repo, encoding: 'utf8' });
      expect(tty.status).toBe(0);
      expect(tty.stdout).toContain('a\\u{202e}b');
      expect(tty.stdout).not.toContain('\u202e');
    }
  });
});

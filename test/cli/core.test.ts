// End to end: the built CLI in real git repos.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { sha256Hex } from '../../src/store/objects.js';
import { git, gitRepo, snapshot, tempDir, write } from '../helpers/dirs.js';

const fixed = { SOURCE_DATE_EPOCH: '1767225600', MLMETA_AUTHOR: 'Test <t@example.test>' };

function repoWithStore(): string {
  const repo = gitRepo();
  ok(repo, ['init']);
  return repo;
}

describe('init and store discovery', () => {
  it('creates .mlmeta at the work-tree root, found from sub-folders', () => {
    const repo = gitRepo();
    fs.mkdirSync(path.join(repo, 'src/deep'), { recursive: true });
    const r = mlmeta(path.join(repo, 'src/deep'), ['init']);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(repo, '.mlmeta/config.yaml'), 'utf8')).toMatch(/^format: 1$/m);
    expect(fs.readFileSync(path.join(repo, '.mlmeta/.gitignore'), 'utf8')).toMatch(/^cache$/m);
    const id = ok(path.join(repo, 'src/deep'), ['record', 'dataset', '--name', 'd']);
    expect(fs.existsSync(path.join(repo, '.mlmeta/objects', id.slice(0, 2), `${id.slice(2)}.yaml`))).toBe(true);
  });

  it('says to run init when there is no store', () => {
    const dir = tempDir();
    const r = mlmeta(dir, ['show', 'abcd']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error[E_NO_STORE]: no mlmeta store here or in any parent folder; run `mlmeta init`\n');
    expect(fs.existsSync(path.join(dir, '.mlmeta'))).toBe(false);
  });

  it('honours --store and MLMETA_DIR', () => {
    const dir = tempDir();
    const elsewhere = path.join(dir, 'meta');
    ok(dir, ['init', '--store', elsewhere]);
    const id = ok(dir, ['record', 'model', '--name', 'm', '--code', 'none'], { MLMETA_DIR: elsewhere });
    expect(ok(dir, ['cat', id, '--store', elsewhere])).toContain('name: m');
    expect(mlmeta(dir, ['cat', id]).code).toBe(1);
  });
});

describe('record and show', () => {
  it('records versions with params, metrics, data, code and artifacts', () => {
    const repo = repoWithStore();
    write(repo, 'params.yaml', 'lr: 0.1\nopt:\n  name: adam\n');
    write(repo, 'metrics.json', '{"auc": 0.91, "by_class": {"a": 0.5}}');
    write(repo, 'model.pkl', 'weights');
    const d = ok(repo, ['record', 'dataset', '--name', 'train'], fixed);
    const m1 = ok(repo, ['record', 'model', '--name', 'churn', '--data', 'train', '--params', 'params.yaml', '--param', 'epochs=3', '--param', 'opt.beta=0.9', '--metrics', 'metrics.json', '--artifact', 'model.pkl', '-m', 'first'], fixed);
    expect(m1).toMatch(/^[0-9a-f]{64}$/);
    const rec = JSON.parse(ok(repo, ['show', m1.slice(0, 6), '--json']));
    expect(rec.id).toBe(m1);
    expect(rec.record).toMatchObject({
      kind: 'model', name: 'churn', version: 1, created: '2026-01-01T00:00:00.000Z', author: 'Test <t@example.test>',
      params: { lr: 0.1, epochs: 3, opt: { name: 'adam', beta: 0.9 } },
      metrics: { auc: 0.91, by_class: { a: 0.5 } },
      artifacts: [{ path: 'model.pkl', sha256: sha256Hex('weights'), size: 7 }],
      message: 'first',
    });
    expect(rec.record.code.commit).toBe(git(repo, 'rev-parse', 'HEAD').trim());
    expect(rec.record.code.branch).toBe('main');
    // the untracked params/metrics/model files make the tree dirty; .mlmeta itself does not
    expect(rec.record.code.dirty).toBe(true);
    expect(rec.parents).toEqual([{ role: 'data', id: d, label: 'dataset train@1' }]);

    const m2 = ok(repo, ['record', 'model', '--name', 'churn', '--data', 'train', '--metric', 'auc=0.93'], fixed);
    const v2 = JSON.parse(ok(repo, ['show', 'churn', '--json']));
    expect(v2.id).toBe(m2);
    expect(v2.record.version).toBe(2);
    expect(v2.parents).toContainEqual({ role: 'previous', id: m1, label: 'model churn@1' });
    expect(JSON.parse(ok(repo, ['show', 'churn@1', '--json'])).id).toBe(m1);
    // show --yaml and cat print the stored bytes
    const stored = fs.readFileSync(path.join(repo, '.mlmeta/objects', m2.slice(0, 2), `${m2.slice(2)}.yaml`), 'utf8');
    expect(mlmeta(repo, ['cat', m2]).stdout).toBe(stored);
    expect(mlmeta(repo, ['show', m2, '--yaml']).stdout).toBe(stored);
    expect(ok(repo, ['show', 'churn@2'])).toMatch(/^model churn@2 {2}[0-9a-f]{64}\n/);
  });

  it('a clean tree is not dirty, and .mlmeta does not make it dirty', () => {
    const repo = repoWithStore();
    const id = ok(repo, ['record', 'model', '--name', 'm', '--parent', 'data=' + ok(repo, ['record', 'dataset', '--name', 'd'])]);
    expect(JSON.parse(ok(repo, ['show', id, '--json'])).record.code.dirty).toBe(false);
  });

  it('gives equal ids for equal content (reproducible with SOURCE_DATE_EPOCH)', () => {
    const a = repoWithStore();
    const id1 = ok(a, ['record', 'run', '--name', 'r', '--param', 'x=1', '--code', 'none'], fixed);
    const b = repoWithStore();
    const id2 = ok(b, ['record', 'run', '--name', 'r', '--param', 'x=1', '--code', 'none'], fixed);
    expect(id1).toBe(id2);
    expect(ok(a, ['record', 'run', '--name', 'r', '--param', 'x=1', '--code', 'none', '--date', '2020-01-01T00:00:00Z'], fixed)).not.toBe(id1);
  });

  it('types param values like YAML scalars and keeps strings', () => {
    const repo = repoWithStore();
    const id = ok(repo, ['record', 'run', '--name', 'r', '--param', 'a=1', '--param', 'b=true', '--param', 'c=adam', '--param', 'd=2024-01-01', '--param', 'e=', '--param', 'f=[1', '--code', 'none']);
    expect(JSON.parse(ok(repo, ['show', id, '--json'])).record.params).toEqual({ a: 1, b: true, c: 'adam', d: '2024-01-01', e: '', f: '[1' });
  });

  it('refuses an ambiguous prefix, listing the candidates', () => {
    const repo = repoWithStore();
    const ids: string[] = [];
    // Make records until two share their first 4 hex digits (birthday: ~300 needed at most usually).
    const seen = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; i < 2000 && !pair; i++) {
      const bytes = `mlmeta: 1\nkind: note\nname: n${i}\nversion: 1\ncreated: x\n`;
      const id = sha256Hex(bytes);
      const p = id.slice(0, 4);
      if (seen.has(p)) pair = [seen.get(p)!, bytes];
      else seen.set(p, bytes);
    }
    // A setup step, not a check (the hashes are fixed): fail loudly if it ever cannot set up.
    if (!pair) throw new Error('no two of 2000 records share 4 hex digits');
    for (const bytes of pair) {
      const id = sha256Hex(bytes);
      write(repo, `.mlmeta/objects/${id.slice(0, 2)}/${id.slice(2)}.yaml`, bytes);
      ids.push(id);
    }
    const r = mlmeta(repo, ['show', ids[0]!.slice(0, 4)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_AMBIGUOUS\]: [0-9a-f]{4} is ambiguous: /);
    for (const id of ids) expect(r.stderr).toContain(id.slice(0, 12));
    expect(JSON.parse(ok(repo, ['show', ids[1]!.slice(0, 12), '--json'])).id).toBe(ids[1]);
  });
});

describe('forks and joins across git branches', () => {
  it('merges without conflict; NAME is ambiguous until the next record joins the heads', () => {
    const repo = repoWithStore();
    ok(repo, ['record', 'model', '--name', 'm', '--param', 'v=base']);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'base');
    git(repo, 'checkout', '-qb', 'feature');
    const f = ok(repo, ['record', 'model', '--name', 'm', '--param', 'v=feature']);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'feature');
    git(repo, 'checkout', '-q', 'main');
    const mId = ok(repo, ['record', 'model', '--name', 'm', '--param', 'v=main']);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'main');
    git(repo, 'merge', '-q', '--no-edit', 'feature');
    expect(git(repo, 'status', '--porcelain')).toBe('');

    const amb = mlmeta(repo, ['show', 'm']);
    expect(amb.code).toBe(1);
    expect(amb.stderr).toMatch(/E_AMBIGUOUS/);
    expect(amb.stderr).toContain(f.slice(0, 12));
    expect(amb.stderr).toContain(mId.slice(0, 12));
    expect(mlmeta(repo, ['show', 'm@2']).stderr).toMatch(/E_AMBIGUOUS.*different branches/);
    // The fork note is about the data, not data: stderr, so `log | …` gets only entries.
    const forked = mlmeta(repo, ['log', 'm']);
    expect(forked.code).toBe(0);
    expect(forked.stderr).toBe('note: model m has 2 heads (forked on different branches); the next record joins them\n');
    expect(forked.stdout).not.toMatch(/heads/);
    expect(forked.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(mlmeta(repo, ['verify']).code).toBe(0);

    const joined = ok(repo, ['record', 'model', '--name', 'm', '--param', 'v=joined']);
    const j = JSON.parse(ok(repo, ['show', 'm', '--json']));
    expect(j.id).toBe(joined);
    expect(j.record.version).toBe(3);
    expect(j.parents.filter((p: { role: string }) => p.role === 'previous').map((p: { id: string }) => p.id).sort()).toEqual([f, mId].sort());
    const log = JSON.parse(ok(repo, ['log', 'm', '--json']));
    expect(log.map((e: { version: number }) => e.version)).toEqual([3, 2, 2, 1]);
    expect(log[0].previous).toHaveLength(2);
  });
});

describe('verify', () => {
  it('catches a changed byte (exit 1) and reports missing parents as warnings', () => {
    const repo = repoWithStore();
    const d = ok(repo, ['record', 'dataset', '--name', 'd']);
    const m = ok(repo, ['record', 'model', '--name', 'm', '--data', d]);
    expect(mlmeta(repo, ['verify']).code).toBe(0);
    const file = path.join(repo, '.mlmeta/objects', m.slice(0, 2), `${m.slice(2)}.yaml`);
    fs.chmodSync(file, 0o644);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 2] ^= 1;
    fs.writeFileSync(file, bytes);
    const r = mlmeta(repo, ['verify', '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.findings).toContainEqual(expect.objectContaining({ finding: 'HASH_MISMATCH', severity: 'error', id: m }));
    expect(mlmeta(repo, ['show', m]).stderr).toMatch(/^error\[E_CORRUPT_OBJECT\]/);

    // a partial copy: the dataset is gone
    fs.rmSync(file);
    const m2 = ok(repo, ['record', 'model', '--name', 'm2', '--data', d]);
    const dfile = path.join(repo, '.mlmeta/objects', d.slice(0, 2), `${d.slice(2)}.yaml`);
    fs.chmodSync(dfile, 0o644);
    fs.rmSync(dfile);
    const r2 = mlmeta(repo, ['verify', '--json']);
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.stdout).findings).toContainEqual(expect.objectContaining({ finding: 'MISSING_PARENT', severity: 'warning', id: m2 }));
  });

  it('warns of a model with no data lineage and of stray files', () => {
    const repo = repoWithStore();
    const m = ok(repo, ['record', 'model', '--name', 'm']);
    write(repo, `.mlmeta/objects/${m.slice(0, 2)}/.tmp-crashed`, 'half');
    const r = mlmeta(repo, ['verify']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning\[NO_DATA_LINEAGE\]/);
    expect(r.stdout).toMatch(/warning\[STRAY_FILE\]: objects\/[0-9a-f]{2}\/\.tmp-crashed/);
  });
});

describe('bad input: one clean line, non-zero exit, store unchanged', () => {
  const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' +
    Array.from({ length: 8 }, (_, i) => { const c = String.fromCharCode(98 + i); const p = String.fromCharCode(97 + i); return `${c}: &${c} [*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p}]`; }).join('\n');
  const cases: Array<[string, string[], Record<string, string>, RegExp, number]> = [
    ['malformed YAML params', ['record', 'model', '--name', 'm', '--params', 'bad.yaml'], { 'bad.yaml': 'a: [1, 2\n' }, /E_BAD_YAML/, 1],
    ['alias bomb params', ['record', 'model', '--name', 'm', '--params', 'bomb.yaml'], { 'bomb.yaml': bomb }, /E_BAD_YAML/, 1],
    ['5000-deep params', ['record', 'model', '--name', 'm', '--params', 'deep.yaml'], { 'deep.yaml': '['.repeat(5000) + ']'.repeat(5000) }, /E_BAD_YAML/, 1],
    ['params not a mapping', ['record', 'model', '--name', 'm', '--params', 'list.yaml'], { 'list.yaml': '- 1\n- 2\n' }, /E_BAD_INPUT.*not a mapping/, 1],
    ['params file missing', ['record', 'model', '--name', 'm', '--params', 'nope.yaml'], {}, /E_NOT_FOUND/, 1],
    ['non-numeric metric', ['record', 'model', '--name', 'm', '--metric', 'auc=high'], {}, /E_BAD_INPUT.*not a finite number/, 1],
    ['non-numeric metric in file', ['record', 'model', '--name', 'm', '--metrics', 'm.json'], { 'm.json': '{"auc": "high"}' }, /E_BAD_INPUT.*not a number/, 1],
    ['bad kind', ['record', 'Model!', '--name', 'm'], {}, /E_BAD_INPUT.*bad kind/, 1],
    ['unknown parent', ['record', 'model', '--name', 'm', '--parent', 'data=deadbeef'], {}, /E_NOT_FOUND/, 1],
    ['path traversal ref', ['show', '../../etc/passwd'], {}, /E_BAD_REF/, 2],
    ['path traversal cat', ['cat', '../../../etc/passwd'], {}, /E_BAD_REF/, 2],
    ['versioned kind without name', ['record', 'model'], {}, /E_BAD_INPUT.*needs --name/, 1],
    ['bad name', ['record', 'model', '--name', 'a@b'], {}, /E_BAD_INPUT.*bad name/, 1],
    ['unknown command', ['frobnicate'], {}, /E_USAGE/, 2],
    ['missing argument', ['show'], {}, /E_USAGE/, 2],
    ['params file invalid UTF-8', ['record', 'model', '--name', 'm', '--params', 'bin.yaml'], { 'bin.yaml': '\u0000\u00ff' }, /E_BAD_YAML/, 1],
  ];
  for (const [title, args, files, pattern, code] of cases) {
    it(title, () => {
      const repo = repoWithStore();
      ok(repo, ['record', 'dataset', '--name', 'd']);
      for (const [f, content] of Object.entries(files)) write(repo, f, content);
      const before = snapshot(path.join(repo, '.mlmeta/objects'));
      const r = mlmeta(repo, args);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
      expect(snapshot(path.join(repo, '.mlmeta/objects'))).toEqual(before);
    });
  }

  it('shows a stack trace only with MLMETA_DEBUG=1', () => {
    const repo = repoWithStore();
    const r = mlmeta(repo, ['show', 'nothing-here'], { MLMETA_DEBUG: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/E_NOT_FOUND[\s\S]*\n\s+at /);
  });
});

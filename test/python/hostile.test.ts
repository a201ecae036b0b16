// Hostile input to the logging protocol and the Python read side (review of issue #11): a
// command that plants a FIFO in its folder, logs a time past a date's range, a record planted
// with such a time, and refs or option values that look like CLI options.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, mlmeta, ok } from '../helpers/cli.js';
import { git, gitEnv, gitRepo, snapshot, write } from '../helpers/dirs.js';

const hasPython = spawnSync('python3', ['-c', 'import sys; assert sys.version_info >= (3, 9)']).status === 0;
const PYDIR = path.resolve(path.dirname(BIN), '..', 'python');
const ENV = { MLMETA_RUN_DIR: '', PYTHONDONTWRITEBYTECODE: '1' };

function project(files: Record<string, string> = { 'README': 'x\n' }): string {
  const repo = gitRepo();
  for (const [f, text] of Object.entries(files)) write(repo, f, text);
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'project');
  ok(repo, ['init']);
  return repo;
}

const objectFile = (repo: string, id: string) => path.join(repo, '.mlmeta/objects', id.slice(0, 2), `${id.slice(2)}.yaml`);

/** A hash-valid copy of record `id` with `from` replaced by `to` (what a collaborator could commit). */
function plant(repo: string, id: string, from: string, to: string): string {
  const text = fs.readFileSync(objectFile(repo, id), 'utf8');
  expect(text).toContain(from);
  const bytes = Buffer.from(text.replace(from, to), 'utf8');
  const newId = createHash('sha256').update(bytes).digest('hex');
  fs.mkdirSync(path.dirname(objectFile(repo, newId)), { recursive: true });
  fs.writeFileSync(objectFile(repo, newId), bytes);
  return newId;
}

describe('the protocol reader against a hostile command', () => {
  it('a FIFO planted in MLMETA_RUN_DIR is skipped with a warning, not waited on forever', () => {
    const repo = project({
      'f.sh': 'mkfifo "$MLMETA_RUN_DIR/fifo.jsonl"\nprintf \'{"metric":"ok","value":1}\\n\' > "$MLMETA_RUN_DIR/z.jsonl"\n',
    });
    const r = spawnSync(process.execPath, [BIN, 'run', '--', 'sh', 'f.sh'], {
      cwd: repo, encoding: 'utf8', env: { ...process.env, ...gitEnv, MLMETA_DIR: '', ...ENV }, timeout: 30_000,
    });
    expect(r.error).toBeUndefined(); // before the fix: ETIMEDOUT, the run never recorded
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('warning: logged values: fifo.jsonl: not a regular file; not read');
    const run = JSON.parse(ok(repo, ['show', r.stdout.trim(), '--json'], ENV)).record;
    expect(run.metrics).toEqual({ ok: 1 });
  });

  it('a logged time past a date\'s range is a skipped line, so the run\'s history stays readable', () => {
    const repo = project({
      't.sh': `printf '{"metric":"m","value":1,"step":0,"time":1e20}\\n{"metric":"m","value":2,"step":1}\\n' > "$MLMETA_RUN_DIR/t.jsonl"\n`,
    });
    const r = mlmeta(repo, ['run', '--', 'sh', 't.sh'], ENV);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: logged values: t.jsonl:1: time 100000000000000000000 is not ms since the epoch; line skipped');
    const h = ok(repo, ['show', r.stdout.trim(), '--history', 'm'], ENV);
    expect(h).toBe('# m: 1 point, steps 1..1, min 2, max 2, last 2\n# step value time\n1 2 -');
  });

  it('show --history on a planted point whose time no date holds: E_CORRUPT_OBJECT, not an internal error', () => {
    const repo = project({ 't.sh': `printf '{"metric":"m","value":1,"step":0}\\n' > "$MLMETA_RUN_DIR/t.jsonl"\n` });
    const id = ok(repo, ['run', '--', 'sh', 't.sh'], ENV);
    const bad = plant(repo, id, '0 1 -', '0 1 9999999999999999');
    const before = snapshot(path.join(repo, '.mlmeta/objects'));
    const r = mlmeta(repo, ['show', bad, '--history', 'm'], ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error[E_CORRUPT_OBJECT]: history of m: time out of range in "0 1 9999999999999999"\n');
    expect(snapshot(path.join(repo, '.mlmeta/objects'))).toEqual(before);
  });
});

(hasPython ? describe : describe.skip)(`the Python read side and start_run against option-shaped values${hasPython ? '' : ' (skipped: no python3 ≥ 3.9 on PATH)'}`, () => {
  const python = (cwd: string, script: string) => spawnSync('python3', [script], {
    cwd, encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, ...gitEnv, ...ENV, PYTHONPATH: PYDIR, MLMETA_BIN: BIN, MLMETA_DEBUG: '', MLMETA_DIR: '' },
  });

  it('a ref or value starting with "-" is never read as an option (no other store is read or written)', () => {
    const other = project();
    ok(other, ['run', '--name', 'elsewhere', '--', 'true'], ENV);
    const store = path.join(other, '.mlmeta');
    const otherBefore = snapshot(path.join(store, 'objects'));
    const repo = project();
    ok(repo, ['run', '--name', 'here', '--', 'true'], ENV);
    write(repo, 'nb.py', `
import json, mlmeta
out = {}
for name, call in [("show", lambda: mlmeta.show("--store=${store}")), ("help", lambda: mlmeta.show("--help")),
                   ("lineage", lambda: mlmeta.lineage("--store=${store}")),
                   ("history", lambda: mlmeta.history("here", "--store=${store}")),
                   ("find", lambda: mlmeta.find(where="--store=${store}"))]:
    try:
        out[name] = ["returned", call()]
    except mlmeta.MlmetaError as e:
        out[name] = [e.code, e.message]
with mlmeta.start_run(name="nb", message="--store=${store}") as r:
    mlmeta.log_metric("m", 1)
out["run"] = r.result["run"]
print(json.dumps(out))
`);
    const r = python(repo, 'nb.py');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.show[0]).toBe('E_BAD_REF');
    expect(out.help[0]).toBe('E_BAD_REF');
    expect(out.lineage[0]).toBe('E_BAD_REF');
    expect(out.history).toEqual(['E_NOT_FOUND', expect.stringContaining('has no history of "--store=')]);
    expect(out.find[0]).toBe('E_USAGE'); // a bad --where, not a find in the other store
    const nb = JSON.parse(ok(repo, ['show', out.run, '--json'], ENV)).record;
    expect(nb).toMatchObject({ name: 'nb', message: `--store=${store}`, metrics: { m: 1 } });
    expect(snapshot(path.join(store, 'objects'))).toEqual(otherBefore);
  });
});

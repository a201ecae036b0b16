// Logging from inside the command (issue #11): real python3 and the real CLI. The Python
// module writes the protocol (docs/PROTOCOL.md) into the folder `mlmeta run` names in
// MLMETA_RUN_DIR; run folds params, final metrics and curves into its records.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, mlmeta, ok } from '../helpers/cli.js';
import { git, gitEnv, gitRepo, snapshot, write } from '../helpers/dirs.js';

const hasPython = spawnSync('python3', ['-c', 'import sys; assert sys.version_info >= (3, 9)']).status === 0;
const PYDIR = path.resolve(path.dirname(BIN), '..', 'python');
// Not inside some outer run, whatever the test runner's environment holds.
const ENV = { MLMETA_RUN_DIR: '', PYTHONDONTWRITEBYTECODE: '1' };

function project(files: Record<string, string> = {}): string {
  const repo = gitRepo();
  for (const [f, text] of Object.entries(files)) write(repo, f, text);
  write(repo, '.gitignore', '*.bin\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'project');
  ok(repo, ['init']);
  return repo;
}

const showJson = (repo: string, ref: string) => JSON.parse(ok(repo, ['show', ref, '--json'], ENV)).record;
const objects = (repo: string) => snapshot(path.join(repo, '.mlmeta/objects'));

/** python3 run directly (not under `mlmeta run`), with the package's module importable. */
function python(cwd: string, script: string, env: Record<string, string> = {}) {
  return spawnSync('python3', [script], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...gitEnv, ...ENV, PYTHONPATH: PYDIR, MLMETA_BIN: BIN, MLMETA_DEBUG: '', ...env },
    timeout: 60_000,
  });
}

const TRAIN = `
import mlmeta, sys
mlmeta.log_params({"lr": 0.01, "layers": [64, 32]})
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
for step in range(steps):
    mlmeta.log_metric("loss", 2.0 / (step + 1), step=step)
mlmeta.log_metrics({"acc": 0.91, "val.loss": 0.25})
mlmeta.set_tag("stage", "dev")
open("model.bin", "w").write("weights")
mlmeta.log_output("model.bin")
`;

(hasPython ? describe : describe.skip)(`Python logging under mlmeta run${hasPython ? '' : ' (skipped: no python3 ≥ 3.9 on PATH)'}`, () => {
  it('records 1,000 logged steps: final values, a curve in its own series object, show --history', () => {
    const repo = project({ 'train.py': TRAIN });
    const model = ok(repo, ['run', '--model', 'm', '--', 'python3', 'train.py'], ENV);
    const m = showJson(repo, model);
    expect(m.params).toEqual({ lr: 0.01, layers: [64, 32] });
    expect(m.metrics).toEqual({ loss: 0.002, acc: 0.91, val: { loss: 0.25 } });
    expect(m.artifacts.map((a: { path: string }) => a.path)).toEqual(['model.bin']);
    expect(m.history.loss).toMatchObject({ count: 1000, first_step: 0, last_step: 999, min: 0.002, max: 2, last: 0.002 });
    expect(typeof m.history.loss.series).toBe('string'); // 1,000 > INLINE_POINTS
    expect(m.history.acc.points).toMatch(/^0 0\.91 \d+\n$/);
    const run = showJson(repo, 'm-run');
    expect(run.tags).toEqual({ stage: 'dev' });
    expect(run.history.loss.series).toBe(m.history.loss.series);

    // plain show: one summary line per curve, no points
    const shown = ok(repo, ['show', 'm-run'], ENV);
    expect(shown).toContain('  loss: 1000 points, steps 0..999, min 0.002, max 2, last 0.002');
    expect(shown.split('\n').length).toBeLessThan(60);

    const text = ok(repo, ['show', 'm-run', '--history', 'loss'], ENV).split('\n');
    expect(text[0]).toBe('# loss: 1000 points, steps 0..999, min 0.002, max 2, last 0.002');
    expect(text.length).toBe(1002);
    expect(text[2]).toMatch(/^0 2 \d{4}-\d\d-\d\dT/);
    expect(text[1001]).toMatch(/^999 0\.002 /);
    const json = JSON.parse(ok(repo, ['show', 'm', '--history', 'loss', '--json'], ENV));
    expect(json.points).toHaveLength(1000);
    expect(json.points[500]).toMatchObject({ step: 500, value: 2 / 501 });
    expect(json.series).toBe(m.history.loss.series);

    const missing = mlmeta(repo, ['show', 'm', '--history', 'nope'], ENV);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error\[E_NOT_FOUND\]: model m@1 has no history of "nope" \(it has: acc, loss, val\.loss\)/);

    // find works on final values
    expect(ok(repo, ['find', '--kind', 'model', '--where', 'metrics.loss < 0.01'], ENV)).toContain('model m@1');

    // diff summarises both curves
    ok(repo, ['run', '--model', 'm', '--', 'python3', 'train.py', '10'], ENV);
    const diff = ok(repo, ['diff', 'm'], ENV);
    expect(diff).toContain('curves:\n  acc:');
    expect(diff).toContain('  loss:\n      from: 1000 points, steps 0..999, min 0.002, max 2, last 0.002\n      to:   10 points, steps 0..9, min 0.2, max 2, last 0.2');
    const dj = JSON.parse(ok(repo, ['diff', 'm', '--json'], ENV));
    expect(dj.curves.find((c: { metric: string }) => c.metric === 'loss').to).toEqual({ count: 10, min: 0.2, max: 2, last: 0.2, first_step: 0, last_step: 9 });
  });

  it('a crash mid-training is a failed run with the metrics logged so far (and no model)', () => {
    const repo = project({
      'train.py': `
import mlmeta
for step in range(100):
    mlmeta.log_metric("loss", 1.0 / (step + 1))
    if step == 49:
        raise RuntimeError("diverged")
`,
    });
    const r = mlmeta(repo, ['run', '--model', 'm', '--', 'python3', 'train.py'], ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('RuntimeError: diverged');
    const run = showJson(repo, r.stdout.trim());
    expect(run.kind).toBe('run');
    expect(run.status).toBe('failed');
    expect(run.metrics).toEqual({ loss: 0.02 });
    expect(run.history.loss).toMatchObject({ count: 50, first_step: 0, last_step: 49 });
    expect(mlmeta(repo, ['show', 'm', '--kind', 'model'], ENV).code).toBe(1);
  });

  it('two processes logging at once: no lost or torn lines (a file per process; shell writers appending to one file)', () => {
    const repo = project({
      'worker.py': `
import mlmeta, sys
w = sys.argv[1]
for step in range(20000):
    mlmeta.log_metric("loss_" + w, step * 0.5, step=step)
    mlmeta.log_metric("both", 1.0, step=step)
`,
      'shell.sh': `for i in $(seq 0 1999); do echo "{\\"metric\\":\\"sh_$1\\",\\"value\\":$i,\\"step\\":$i}" >> "$MLMETA_RUN_DIR/shell.jsonl"; done\n`,
    });
    const r = mlmeta(repo, ['run', '--', 'sh', '-c', 'python3 worker.py a & python3 worker.py b & sh shell.sh x & sh shell.sh y & wait'], ENV);
    expect(r.stderr).not.toContain('warning');
    expect(r.code).toBe(0);
    const run = showJson(repo, r.stdout.trim());
    expect(run.history.loss_a).toMatchObject({ count: 20000, last_step: 19999, max: 9999.5 });
    expect(run.history.loss_b).toMatchObject({ count: 20000, last_step: 19999, max: 9999.5 });
    expect(run.history.both.count).toBe(40000);
    expect(run.history.sh_x).toMatchObject({ count: 2000, last: 1999 });
    expect(run.history.sh_y).toMatchObject({ count: 2000, last: 1999 });
    const pts = JSON.parse(ok(repo, ['show', run.name, '--history', 'loss_a', '--json'], ENV)).points;
    expect(pts.every((p: { step: number; value: number }, i: number) => p.step === i && p.value === i * 0.5)).toBe(true);
  });

  it('a torn last line and a bad line are skipped with warnings; the other lines count', () => {
    const repo = project({
      'log.sh': [
        'd="$MLMETA_RUN_DIR"',
        `printf '{"metric":"loss","value":0.5,"step":0}\\n' >> "$d/a.jsonl"`,
        `printf 'not json\\n' >> "$d/a.jsonl"`,
        `printf '{"metric":"loss","value":"high","step":1}\\n' >> "$d/a.jsonl"`,
        `printf '{"param":"lr","value":0.1}\\n{"metric":"loss","value":0.25,"step":2}\\n' >> "$d/a.jsonl"`,
        `printf '{"metric":"loss","value":0.1,"st' >> "$d/a.jsonl"`,
        `printf '{"tag":"k","value":"v"}' >> "$d/b.jsonl"`,
        '',
      ].join('\n'),
    });
    const r = mlmeta(repo, ['run', '--', 'sh', 'log.sh'], ENV);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: logged values: a.jsonl:2: ');
    expect(r.stderr).toContain('warning: logged values: a.jsonl:3: value "high" is not a number');
    expect(r.stderr).toContain('warning: logged values: a.jsonl: the last line is incomplete (the command stopped mid-write?); skipped');
    const run = showJson(repo, r.stdout.trim());
    expect(run.params).toEqual({ lr: 0.1 });
    expect(run.metrics).toEqual({ loss: 0.25 });
    expect(run.history.loss.count).toBe(2);
    expect(run.tags).toEqual({ k: 'v' }); // a whole last line without its newline is kept
  });

  it('bad values raise clear errors at the call and never reach the record; NaN stays in the curve only', () => {
    const repo = project({
      'train.py': `
import mlmeta, math
class Scalar:  # numpy-like: duck-typed through .item()
    def __init__(self, v): self.v = v
    def item(self): return self.v
class Many:
    def item(self): raise ValueError("can only convert an array of size 1")
for call in (lambda: mlmeta.log_metric("acc", "high"),
             lambda: mlmeta.log_metric("ok", True),
             lambda: mlmeta.log_metric("arr", Many()),
             lambda: mlmeta.log_metric("x", 1.0, step=-1),
             lambda: mlmeta.log_metric("bad\\nname", 1.0),
             lambda: mlmeta.log_param("lr", float("nan")),
             lambda: mlmeta.log_param("obj", object()),
             lambda: mlmeta.log_params({"a": {1: 2}})):
    try:
        call()
        print("NO ERROR")
    except (TypeError, ValueError) as e:
        print(type(e).__name__, e)
mlmeta.log_metric("np", Scalar(0.75), step=Scalar(3))
mlmeta.log_metric("loss", 0.5)
mlmeta.log_metric("loss", float("nan"))
mlmeta.log_metric("peak", float("inf"))
mlmeta.log_metric("peak", 7)
mlmeta.log_param("count", Scalar(12))
`,
    });
    const r = mlmeta(repo, ['run', '--', 'python3', 'train.py'], ENV);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 8)).toEqual([
      "TypeError mlmeta: metric 'acc': str 'high' is not a number",
      "TypeError mlmeta: metric 'ok': a bool is not a metric value; log 1 or 0",
      'TypeError mlmeta: Many value has .item() but is not a single value (can only convert an array of size 1)',
      "ValueError mlmeta: metric 'x': step -1 is not between 0 and 2**53-1",
      "ValueError mlmeta: metric name 'bad\\nname' is not a printable string of 1-200 characters",
      'ValueError mlmeta: param lr is nan; a record holds only finite numbers (log a string if you mean it)',
      'TypeError mlmeta: param obj: a object cannot be recorded (use str, numbers, bool, None, lists or dicts)',
      "TypeError mlmeta: param a: key 1 is not allowed (keys are strings)",
    ]);
    expect(r.stderr).toContain('warning: metric loss: its last logged value is not a finite number; it has a curve but no final value');
    const run = showJson(repo, lines[8]!);
    expect(run.params).toEqual({ count: 12 });
    expect(run.metrics).toEqual({ np: 0.75, peak: 7 });
    expect(run.history.np.points).toMatch(/^3 0\.75 \d+\n$/);
    expect(run.history.loss).toMatchObject({ count: 2, min: 0.5, max: 0.5 });
    expect(run.history.loss.last).toBeUndefined();
    expect(run.history.loss.points).toMatch(/^0 0\.5 \d+\n1 nan \d+\n$/);
    const hist = JSON.parse(ok(repo, ['show', lines[8]!, '--history', 'loss', '--json'], ENV));
    expect(hist.points[1].value).toBe('nan');
    expect(ok(repo, ['show', lines[8]!, '--history', 'peak'], ENV)).toMatch(/\n0 inf .*\n1 7 /);
  });

  it('a logged param that contradicts --param: E_PARAM_CONFLICT, the run kept with both values, no model', () => {
    const repo = project({ 'train.py': 'import mlmeta\nmlmeta.log_params({"lr": 0.2, "seed": 1, "opt": {"beta": 0.9}})\nmlmeta.log_metric("loss", 0.3)\n' });
    write(repo, 'params.yaml', 'opt:\n  beta: 0.9\n');
    const r = mlmeta(repo, ['run', '--model', 'm', '--params', 'params.yaml', '--param', 'lr=0.1', '--', 'python3', 'train.py'], ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_PARAM_CONFLICT\]: the command logged params that differ from the params file or --param flags \(lr: given 0\.1, logged 0\.2\); run [0-9a-f]{12} is recorded/m);
    const run = showJson(repo, 'm-run');
    expect(run.params).toEqual({ lr: 0.1, seed: 1, opt: { beta: 0.9 } });
    expect(run.param_conflicts).toEqual({ lr: { given: 0.1, logged: 0.2 } });
    expect(run.metrics).toEqual({ loss: 0.3 });
    expect(mlmeta(repo, ['show', 'm', '--kind', 'model'], ENV).stderr).toMatch(/^error\[E_NOT_FOUND\]/);
  });

  it('outside mlmeta run: warns once, logs nothing, the script succeeds and the store is unchanged', () => {
    const repo = project({ 'train.py': TRAIN });
    const before = objects(repo);
    const r = python(repo, 'train.py', { PYTHONPATH: PYDIR });
    expect(r.status).toBe(0);
    expect(r.stderr.match(/not inside `mlmeta run` or start_run\(\); logging does nothing/g)).toHaveLength(1);
    expect(objects(repo)).toEqual(before);
  });

  it('run appends the module folder to an existing PYTHONPATH', () => {
    const repo = project({ 'p.py': 'import os, mlmeta\nprint(os.environ["PYTHONPATH"])\nprint(mlmeta.__file__)\n' });
    const r = mlmeta(repo, ['run', '--json', '--', 'python3', 'p.py'], { ...ENV, PYTHONPATH: '/somewhere/first' });
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').slice(0, 2)).toEqual([`/somewhere/first${path.delimiter}${PYDIR}`, path.join(PYDIR, 'mlmeta', '__init__.py')]);
  });

  it('notebook style: start_run/end_run and the context manager record runs; the read side returns dicts', () => {
    const repo = project({ 'data/train.csv': 'x,y\n1,2\n' });
    write(repo, 'nb.py', `
import json, mlmeta
run = mlmeta.start_run(name="nb", inputs=["data"], params={"lr": 0.05})
for step in range(300):
    mlmeta.log_metric("loss", 1.0 / (step + 1), step=step)
res = mlmeta.end_run()
shown = mlmeta.show(res["run"])
hist = mlmeta.history("nb", "loss")
found = mlmeta.find("metrics.loss < 0.01", kind="run")
try:
    with mlmeta.start_run(name="nb"):
        mlmeta.log_metric("loss", 9.0)
        raise KeyError("boom")
except KeyError:
    pass
try:
    mlmeta.show("no-such-thing")
except mlmeta.MlmetaError as e:
    err = [e.code, e.message]
print(json.dumps({"res": res, "record": shown["record"], "hist": hist["count"], "found": [f["record"]["name"] for f in found],
                  "lineage": sorted(n["kind"] for n in mlmeta.lineage("nb@1")["nodes"]), "err": err}))
`);
    const r = python(repo, 'nb.py');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.res.exitCode).toBe(0);
    expect(out.record).toMatchObject({ kind: 'run', name: 'nb', status: 'succeeded', params: { lr: 0.05 }, metrics: { loss: 1 / 300 } });
    expect(out.record.code.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(out.record.parents.map((p: { role: string }) => p.role)).toContain('data');
    expect(out.hist).toBe(300);
    expect(out.found).toEqual(['nb']);
    expect(out.lineage).toContain('dataset');
    expect(out.err[0]).toBe('E_NOT_FOUND');
    const second = showJson(repo, 'nb@2');
    expect(second).toMatchObject({ status: 'failed', metrics: { loss: 9 } });
  });

  it('notebook style: sys.exit(3) after start_run records a failed run with what it logged', () => {
    const repo = project();
    write(repo, 'quit.py', 'import sys, mlmeta\nmlmeta.start_run(name="quit")\nmlmeta.log_metric("z", 3)\nsys.exit(3)\n');
    const r = python(repo, 'quit.py');
    expect(r.status).toBe(3);
    expect(showJson(repo, 'quit')).toMatchObject({ status: 'failed', metrics: { z: 3 } });
  });
});

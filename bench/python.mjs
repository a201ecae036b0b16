// Issue #11 rows: logging 10^5 metric points from Python adds ≤ 1 s to `mlmeta run` (the
// same script, the same loop, with and without the log_metric call), and `show` of a run
// holding a 10^5-point curve costs what any `show` costs (its series object is not read).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * @param {{ work: string, bin: string, env: NodeJS.ProcessEnv, row: Function, median: Function, time: Function }} b  run.mjs's helpers
 */
export function benchPython({ work, bin, env, row, median, time }) {
  if (spawnSync('python3', ['--version']).status !== 0) {
    process.stderr.write('python rows skipped: no python3 on PATH\n');
    return;
  }
  const dir = path.join(work, 'python');
  fs.mkdirSync(dir);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir, env });
  fs.writeFileSync(path.join(dir, 'train.py'), [
    'import mlmeta, sys',
    'log = sys.argv[1] == "log"',
    'x = 0.0',
    'for step in range(100000):',
    '    x = x * 0.5 + 1.0 / (step + 1)',
    '    if log:',
    '        mlmeta.log_metric("loss", x, step=step)',
    '',
  ].join('\n'));
  execFileSync(process.execPath, [bin, 'init'], { cwd: dir, env, stdio: 'ignore' });
  const run = (mode) => time(process.execPath, [bin, 'run', '--name', `py-${mode}`, '--code', 'none', '--env', 'none', '--', 'python3', 'train.py', mode], { cwd: dir, env: { MLMETA_RUN_DIR: '' } });
  // interleaved pairs, so a load swing on this shared machine hits both sides alike
  const pairs = Array.from({ length: 7 }, () => [run('none'), run('log')]);
  const mid = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const without = mid(pairs.map(([a]) => a));
  const withLog = mid(pairs.map(([, b]) => b));
  const added = mid(pairs.map(([a, b]) => b - a));
  row('run -- python: 10^5-step loop, no logging', without);
  row('run -- python: same loop, 10^5 log_metric points', withLog, 'no logging', without, `≤ +1 s (here +${(added / 1000).toFixed(2)} s, median of 7 interleaved pairs)`);
  const plain = median(() => time(process.execPath, [bin, 'show', 'py-none'], { cwd: dir }), 7);
  const show = median(() => time(process.execPath, [bin, 'show', 'py-log'], { cwd: dir }), 7);
  row('show of a run with a 10^5-point curve', show, 'show of a run without one', plain, 'as fast as any show (≈ 1×)');
  row('show --history loss (10^5 points)', median(() => time(process.execPath, [bin, 'show', 'py-log', '--history', 'loss'], { cwd: dir }), 3));
}

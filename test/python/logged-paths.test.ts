// A command that logs every file it touches: logged inputs and outputs are recorded up to
// MAX_LOGGED_PATHS each (each becomes its own dataset or artifact), the rest named in one warning.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_LOGGED_PATHS } from '../../src/api/run-log.js';
import { mlmeta, ok } from '../helpers/cli.js';
import { git, gitRepo, write } from '../helpers/dirs.js';

describe('logged paths are capped', () => {
  it(`${MAX_LOGGED_PATHS + 3} logged outputs: the first ${MAX_LOGGED_PATHS} recorded, one warning for the 3 others`, () => {
    const repo = gitRepo();
    write(repo, '.gitignore', 'out/\n');
    write(repo, 'log.sh', [
      'mkdir -p out',
      `i=0; while [ $i -lt ${MAX_LOGGED_PATHS + 3} ]; do`,
      '  echo $i > out/f$i.txt',
      '  printf \'{"output": "out/f%s.txt"}\\n\' $i >> "$MLMETA_RUN_DIR/sh.jsonl"',
      '  i=$((i+1)); done',
      '',
    ].join('\n'));
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'project');
    ok(repo, ['init']);
    const r = mlmeta(repo, ['run', '--name', 'many', '--code', 'none', '--env', 'none', '--', 'sh', 'log.sh'], { MLMETA_RUN_DIR: '' });
    expect(r.code).toBe(0);
    expect(fs.readdirSync(path.join(repo, 'out'))).toHaveLength(MAX_LOGGED_PATHS + 3);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('logged outputs past'));
    expect(warnings).toEqual([`warning: 3 logged outputs past the first ${MAX_LOGGED_PATHS} were not recorded (log their folder instead)`]);
    const run = JSON.parse(ok(repo, ['show', 'many', '--json'])).record;
    expect(run.outputs).toHaveLength(MAX_LOGGED_PATHS);
    expect(run.outputs.map((o: { path: string }) => o.path)).not.toContain(`out/f${MAX_LOGGED_PATHS}.txt`);
  });
});

// Walk keys (graph/index-db.ts numberFor): a record without a version (evals, aliases), a
// version past 2^21 and a record whose line key is taken get a key hashed from their id, so
// many of them cost what as many ordinary versions cost. (Found by review 4: they all started
// at one key and probed upward one lookup at a time — quadratic: 8,000 evals of one name took
// 14 s of CPU for the first command against 2.4 s for 8,000 versions.) A guard against that
// quadratic, in CPU time (user+sys) against a control built in the same test: 3× leaves room
// for noise, the defect was 6×.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, generateRecords, ok } from '../helpers/cli.js';
import { gitEnv, gitRepo } from '../helpers/dirs.js';

const N = 8000;

function store(firstVersion: number, kind = 'model'): { repo: string; head: string } {
  const repo = gitRepo();
  ok(repo, ['init']);
  return { repo, head: generateRecords(repo, N, firstVersion, kind) };
}

/** CPU seconds (user+sys, so the load of other processes does not count) of the first (cold-index) command. */
function coldFind(repo: string, kind: string): number {
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, BIN, 'find', '--kind', kind, '--limit', '1'], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...gitEnv } });
  expect(r.status).toBe(0);
  expect(r.stdout).toContain(`${kind} m`);
  const m = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr)!;
  return Number(m[1]) + Number(m[2]);
}

describe('walk keys that all start at one key', () => {
  let control = 0;
  const baseline = () => (control ||= coldFind(store(1).repo, 'model'));

  it('a cold build over 8,000 evals of one name costs about what 8,000 model versions cost', () => {
    const evals = store(1, 'eval');
    const t = coldFind(evals.repo, 'eval');
    expect(t).toBeLessThan(3 * baseline()); // before the fix: 13.9 s vs 2.4 s CPU (quadratic: 20k evals take minutes)
  }, 300_000);

  it('a cold build over a line of 8,000 versions past 2^21 costs about what 8,000 ordinary versions cost', () => {
    const huge = store(2 ** 21);
    const t = coldFind(huge.repo, 'model');
    // answers stay right (keys are unique): the chain is whole
    expect(ok(huge.repo, ['lineage', huge.head])).toContain(`model m@${2 ** 21}`);
    expect(t).toBeLessThan(3 * baseline()); // before the fix: 15.2 s vs 2.4 s CPU
  }, 300_000);
});

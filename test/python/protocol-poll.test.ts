// The protocol folder is read while the command runs (capture/protocol.ts RunLog.poll), and
// the result must still be what reading the folder after the command gives: files merged in
// name order, a file replaced, cut short or removed mid-run read as it is at the end.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunLog } from '../../src/capture/protocol.js';
import { ok } from '../helpers/cli.js';
import { gitRepo, tempDir } from '../helpers/dirs.js';

const line = (metric: string, value: number, step?: number) => `${JSON.stringify({ metric, value, ...(step === undefined ? {} : { step }), time: 1 })}\n`;

describe('reading the log folder while the command runs', () => {
  it('reads lines at a poll and does not read them again (proof: a rewrite in place of an early line is not seen)', () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.jsonl');
    fs.writeFileSync(file, line('m', 1, 0) + line('m', 2, 1) + line('m', 3, 2));
    const log = new RunLog(dir);
    log.poll();
    // same inode, same size, the last bytes read unchanged: only an append-only writer is followed
    fs.writeFileSync(file, line('m', 7, 0), { flag: 'r+' });
    fs.appendFileSync(file, line('m', 4, 3));
    expect(log.finish().metrics.m).toEqual({ step: [0, 1, 2, 3], value: [1, 2, 3, 4], time: [1, 1, 1, 1] });
  });

  it('a file replaced, cut short or removed after a poll counts as it is at the end', () => {
    const dir = tempDir();
    const [a, b, c] = ['a', 'b', 'c'].map((n) => path.join(dir, `${n}.jsonl`));
    fs.writeFileSync(a!, line('ma', 1, 0) + line('ma', 2, 1));
    fs.writeFileSync(b!, line('mb', 1, 0) + line('mb', 2, 1) + line('mb', 3, 2));
    fs.writeFileSync(c!, line('mc', 1, 0));
    const log = new RunLog(dir);
    log.poll();
    fs.writeFileSync(path.join(dir, 'new'), line('ma', 9, 5));
    fs.renameSync(path.join(dir, 'new'), a!); // replaced
    fs.truncateSync(b!, line('mb', 1, 0).length); // cut short
    fs.rmSync(c!); // removed
    const got = log.finish();
    expect(got.metrics).toEqual({ ma: { step: [5], value: [9], time: [1] }, mb: { step: [0], value: [1], time: [1] } });
    expect(got.warnings).toEqual([]);
  });

  it('numbers step-less points across files in name order, whatever order they arrived in', () => {
    const dir = tempDir();
    const log = new RunLog(dir);
    fs.writeFileSync(path.join(dir, 'b.jsonl'), line('m', 20) + line('m', 21));
    log.poll(); // b is read first
    fs.writeFileSync(path.join(dir, 'a.jsonl'), line('m', 10));
    log.poll();
    fs.appendFileSync(path.join(dir, 'b.jsonl'), line('m', 22, 7) + line('m', 23));
    fs.appendFileSync(path.join(dir, 'a.jsonl'), line('m', 11));
    const got = log.finish();
    // as if a.jsonl were read whole, then b.jsonl: a gives steps 0, 1; b 2, 3, then 7, 8
    expect(got.metrics.m).toEqual({ step: [0, 1, 2, 3, 7, 8], value: [10, 11, 20, 21, 22, 23], time: [1, 1, 1, 1, 1, 1] });
  });

  it('mlmeta run: a curve logged over time by a shell script, and a log file replaced mid-run', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    const script = [
      'd="$MLMETA_RUN_DIR"',
      'i=0; while [ $i -lt 5 ]; do printf \'{"metric":"loss","value":%s,"step":%s}\\n\' $i $i >> "$d/a.jsonl"; i=$((i+1)); sleep 0.1; done',
      'printf \'{"metric":"gone","value":1}\\n\' > "$d/b.jsonl"; sleep 0.25',
      'printf \'{"metric":"kept","value":2}\\n\' > "$d/b.new"; mv "$d/b.new" "$d/b.jsonl"',
    ].join('\n');
    ok(repo, ['run', '--name', 'r', '--code', 'none', '--env', 'none', '--', 'sh', '-c', script], { MLMETA_RUN_DIR: '' });
    const r = JSON.parse(ok(repo, ['show', 'r', '--json'])).record;
    expect(r.metrics).toEqual({ loss: 4, kept: 2 });
    expect(r.history.loss).toMatchObject({ count: 5, first_step: 0, last_step: 4 });
    expect(r.history.gone).toBeUndefined();
  });
});

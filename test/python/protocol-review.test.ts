// Hostile writers against the log folder read while the command runs (capture/protocol.ts
// RunLog): whatever the timing of the polls, the result is what reading the folder after the
// command gives (new RunLog(dir).finish() with no poll), fds stay bounded, and memory is
// bounded by what is kept, not by the lines logged.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunLog, readRunDir, setDotted } from '../../src/capture/protocol.js';
import type { Mapping } from '../../src/capture/values.js';
import { tempDir } from '../helpers/dirs.js';

const line = (metric: string, value: number, step?: number) => `${JSON.stringify({ metric, value, ...(step === undefined ? {} : { step }), time: 1732100000000 + (step ?? 0) })}\n`;
const openFds = () => fs.readdirSync('/proc/self/fd').length;

describe('the log folder read while the command runs, against hostile writers', () => {
  it('a long non-ASCII line cut by a poll is kept or skipped as when read after the command (lines are limited in bytes)', () => {
    for (const chars of [600_000, 400_000]) {
      const dir = tempDir();
      const file = path.join(dir, 'a.jsonl');
      // 1.2 MB, 0.8 MB: over and under the 1 MiB limit in bytes, both under it in characters
      const bytes = Buffer.from(`${JSON.stringify({ param: 'p', value: 'é'.repeat(chars) })}\n${line('m', 1, 0)}`);
      fs.writeFileSync(file, bytes.subarray(0, 700_000));
      const log = new RunLog(dir);
      log.poll();
      fs.appendFileSync(file, bytes.subarray(700_000, 1_000_000));
      log.poll();
      fs.appendFileSync(file, bytes.subarray(1_000_000));
      const polled = log.finish();
      expect(polled).toEqual(readRunDir(dir));
      expect(polled.metrics.m!.value).toEqual([1]);
      expect(polled.params.p === undefined).toBe(chars === 600_000);
    }
  });

  it('a file truncated and written again (open "w") after a poll is read as it is at the end, grown or not', () => {
    for (const pollBetween of [false, true]) {
      const dir = tempDir();
      const file = path.join(dir, 'a.jsonl');
      fs.writeFileSync(file, line('m', 1, 0));
      const log = new RunLog(dir);
      log.poll();
      fs.writeFileSync(file, line('m', 5, 0) + line('m', 6, 1)); // truncates: longer than what was read
      if (pollBetween) log.poll();
      fs.appendFileSync(file, line('m', 7, 2));
      const polled = log.finish();
      expect(polled).toEqual(readRunDir(dir));
      expect(polled.metrics.m!.value).toEqual([5, 6, 7]);
    }
  });

  it('holds a bounded number of files open while polling a folder of many files, and reads them all', () => {
    const dir = tempDir();
    for (let i = 0; i < 400; i++) fs.writeFileSync(path.join(dir, `f${String(i).padStart(3, '0')}.jsonl`), line(`m${i}`, i));
    const before = openFds();
    const log = new RunLog(dir);
    log.poll();
    log.poll();
    expect(openFds() - before).toBeLessThanOrEqual(70);
    // a file removed mid-run is not held open (its disk space is freed)
    fs.rmSync(path.join(dir, 'f000.jsonl'));
    const got = log.finish();
    expect(openFds()).toBe(before);
    expect(got).toEqual(readRunDir(dir));
    expect(Object.keys(got.metrics)).toHaveLength(399);
  });

  it('past the point limit, the points kept are those of reading the folder in name order after the command', () => {
    // b.jsonl arrives (and is polled) before a.jsonl; a removed file held points at a poll
    const dir = tempDir();
    const write = (n: string, metric: string, k: number) => fs.appendFileSync(path.join(dir, n), Array.from({ length: k }, (_, i) => line(metric, i, i)).join(''));
    const log = new RunLog(dir, 10);
    write('junk.jsonl', 'junk', 10);
    log.poll();
    write('b.jsonl', 'b', 6);
    log.poll(); // dropped: the budget is spent on junk
    fs.rmSync(path.join(dir, 'junk.jsonl'));
    write('a.jsonl', 'a', 6);
    const got = log.finish();
    expect(got).toEqual(new RunLog(dir, 10).finish());
    expect(got.metrics.a!.value).toEqual([0, 1, 2, 3, 4, 5]);
    expect(got.metrics.b!.value).toEqual([0, 1, 2, 3]);
    expect(got.warnings).toEqual(['2 logged metric points past the first 10 were not recorded']);
  });

  it('a param logged again and again costs memory once, and params fold as every line replayed in order would', () => {
    const dir = tempDir();
    const names = ['a', 'a.b', 'a.c', 'b', 'a.b.c', 'c.d', 'c'];
    let seed = 7;
    const r = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) lines.push(JSON.stringify({ param: names[Math.floor(r() * names.length)], value: Math.floor(r() * 5) }));
    fs.writeFileSync(path.join(dir, 'a.jsonl'), lines.map((l) => `${l}\n`).join(''));
    fs.writeFileSync(path.join(dir, 'b.jsonl'), lines.slice(0, 500).reverse().map((l) => `${l}\n`).join(''));
    const expected: Mapping = {};
    for (const l of [...lines, ...lines.slice(0, 500).reverse()]) {
      const o = JSON.parse(l) as { param: string; value: number };
      setDotted(expected, o.param, o.value);
    }
    const log = new RunLog(dir);
    log.poll();
    const held = (log as unknown as { files: Map<string, { log: { params: Map<string, unknown> } }> }).files.get('a.jsonl')!.log.params;
    expect(held.size).toBeLessThanOrEqual(names.length);
    expect(log.finish().params).toEqual(expected);
  });
});

describe('step numbering at the end of the whole numbers', () => {
  it('a step-less point after step 2^53 - 1 is dropped with a warning, not a run that cannot be recorded', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'a.jsonl'), '{"metric":"m","value":1,"step":9007199254740991}\n{"metric":"m","value":2}\n{"metric":"n","value":3}\n');
    const got = readRunDir(dir);
    expect(got.metrics.m).toEqual({ step: [9007199254740991], value: [1], time: [NaN] });
    expect(got.metrics.n!.step).toEqual([0]);
    expect(got.warnings).toEqual([expect.stringMatching(/^metric m: 1 points without a step after step 9007199254740991 were not recorded/)]);
  });
});

describe('many paths and names logged', () => {
  it('200k logged inputs and outputs are folded (no call-stack overflow: E_INTERNAL before), once each', () => {
    const dir = tempDir();
    const k = 200_000;
    let text = '';
    for (let i = 0; i < k; i++) text += `{"input":"/in/${i}"}\n{"output":"/out/${i % 1000}"}\n`;
    fs.writeFileSync(path.join(dir, 'a.jsonl'), text);
    fs.writeFileSync(path.join(dir, 'b.jsonl'), '{"input":"/in/0"}\n{"input":"/in/b"}\n');
    const got = readRunDir(dir);
    expect(got.inputs).toHaveLength(k + 2);
    expect(got.inputs.slice(-3)).toEqual([`/in/${k - 1}`, '/in/0', '/in/b']);
    expect(got.outputs).toHaveLength(1000);
  });

  it('metric names logged past the point limit are not kept (memory per point kept, not per line)', () => {
    const dir = tempDir();
    let text = '';
    for (let i = 0; i < 1000; i++) text += line(`m${i}`, i, 0);
    fs.writeFileSync(path.join(dir, 'a.jsonl'), text);
    const log = new RunLog(dir, 5);
    log.poll();
    const held = (log as unknown as { files: Map<string, { log: { metrics: Map<string, unknown> } }> }).files.get('a.jsonl')!.log.metrics;
    expect(held.size).toBe(5);
    const got = log.finish();
    expect(Object.keys(got.metrics)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(got.warnings).toEqual(['995 logged metric points past the first 5 were not recorded']);
  });
});

describe('a poll holds the event loop a bounded time', () => {
  it('reads at most 8 MiB per poll across all files (16 files flooding the folder: 128 MiB a poll before), and the rest at the end', () => {
    const dir = tempDir();
    const chunk = line('m', 0.5, 1).repeat(Math.ceil((4 << 20) / line('m', 0.5, 1).length)); // ~4 MiB a file
    for (const n of ['a', 'b', 'c', 'd']) fs.writeFileSync(path.join(dir, `${n}.jsonl`), chunk);
    const log = new RunLog(dir);
    log.poll();
    const files = (log as unknown as { files: Map<string, { read: number }> }).files;
    const consumed = [...files.values()].reduce((a, f) => a + f.read, 0);
    expect(consumed).toBeGreaterThan(0);
    expect(consumed).toBeLessThanOrEqual(8 << 20);
    expect(log.finish()).toEqual(readRunDir(dir));
  });
});

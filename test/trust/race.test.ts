// Two writers racing: real mlmeta processes started together, many rounds. Each new
// version must get its own number and each alias move its own place in the chain: the
// heads are read and the record written under the store's write lock (ISSUE15 §6).
// Without the lock these tests fail (checked once against the build before the fix:
// duplicate `m@N` versions and forked alias chains).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, mlmeta, ok } from '../helpers/cli.js';
import { gitEnv, tempDir } from '../helpers/dirs.js';
import { parseRecordBytes, type RecordBody } from '../../src/records/record.js';
import { listAllIds, readObject } from '../../src/store/objects.js';

const ROUNDS = 6;
const WRITERS = 5;

/** Start `count` mlmeta processes at once; their exit codes and stderr once all have ended. */
function together(cwd: string, argsOf: (i: number) => string[], count: number): Promise<Array<{ code: number | null; stderr: string }>> {
  return Promise.all(Array.from({ length: count }, (_, i) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...argsOf(i)], { cwd, env: { ...process.env, ...gitEnv, MLMETA_DIR: '', MLMETA_DEBUG: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ code, stderr }));
  })));
}

interface Rec { id: string; record: RecordBody }

/** Every stored record of a kind, read from the object files themselves. */
function records(dir: string, kind: string): Rec[] {
  const objects = path.join(dir, '.mlmeta/objects');
  return listAllIds(objects).map((id) => ({ id, record: parseRecordBytes(readObject(objects, id), id) })).filter((r) => r.record.kind === kind);
}

/** The `previous` links form one chain: one start, no record continued twice. */
function expectLinearChain(recs: Rec[]): void {
  const prev = recs.map((r) => (r.record.parents ?? []).filter((p) => p.role === 'previous').map((p) => p.id));
  expect(prev.filter((p) => p.length === 0)).toHaveLength(1);
  expect(prev.every((p) => p.length <= 1)).toBe(true);
  const continued = prev.flat();
  expect(new Set(continued).size).toBe(continued.length);
  expect(continued.length).toBe(recs.length - 1);
}

describe('racing writers', () => {
  it(`${ROUNDS} rounds of ${WRITERS} concurrent record: versions 1..N once each, one head, no fork`, async () => {
    const dir = tempDir('mlmeta-race-');
    ok(dir, ['init']);
    for (let round = 0; round < ROUNDS; round++) {
      const results = await together(dir, (i) => ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none', '--param', `round=${round}`, '--param', `writer=${i}`], WRITERS);
      expect(results.map((r) => r.code), results.map((r) => r.stderr).join('')).toEqual(Array(WRITERS).fill(0));
    }
    const recs = records(dir, 'model');
    expect(recs).toHaveLength(ROUNDS * WRITERS);
    expect(recs.map((r) => r.record.version).sort((a, b) => a! - b!)).toEqual(Array.from({ length: ROUNDS * WRITERS }, (_, i) => i + 1));
    expectLinearChain(recs);
    const show = mlmeta(dir, ['show', 'm', '--json']);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout).record.version).toBe(ROUNDS * WRITERS);
    expect(mlmeta(dir, ['log', 'm']).stdout).not.toMatch(/heads/);
  }, 300_000);

  it(`${ROUNDS} rounds of ${WRITERS} concurrent alias moves: one linear chain, no conflict`, async () => {
    const dir = tempDir('mlmeta-race-');
    ok(dir, ['init']);
    for (let v = 1; v <= WRITERS; v++) ok(dir, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none', '--param', `v=${v}`]);
    for (let round = 0; round < ROUNDS; round++) {
      const results = await together(dir, (i) => ['alias', 'prod', `m@${i + 1}`, '-m', `round ${round}`], WRITERS);
      expect(results.map((r) => r.code), results.map((r) => r.stderr).join('')).toEqual(Array(WRITERS).fill(0));
    }
    const recs = records(dir, 'alias');
    expect(recs).toHaveLength(ROUNDS * WRITERS);
    expectLinearChain(recs);
    const states = JSON.parse(ok(dir, ['alias', '--json']));
    expect(states).toHaveLength(1);
    expect(states[0].conflicting).toBeUndefined();
    expect(mlmeta(dir, ['show', 'm@prod']).code).toBe(0);
  }, 300_000);
});

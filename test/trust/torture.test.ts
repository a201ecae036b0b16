// Crash and concurrency: 8 writers record at once (shared and own names) while some are
// killed with SIGKILL at random moments. Every id a writer printed must be in the store,
// no object may be partial or misnamed, verify must be clean, and leftovers of the killed
// writers are ignored by readers and removed by `verify --fix`.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { tempDir, write } from '../helpers/dirs.js';
import { listAllIds, sha256Hex } from '../../src/store/objects.js';
import { writerTag } from '../../src/store/writer.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../helpers/torture-worker.mjs');

describe('torture: concurrent writers, some killed', () => {
  it('keeps every acknowledged record and stays verifiable', async () => {
    const dir = tempDir('mlmeta-torture-');
    ok(dir, ['init']);
    const store = path.join(dir, '.mlmeta');
    // temp files of writers long gone, as a crash leaves them: one of this host (its pid is
    // checked), one of an older mlmeta whose name does not say where it ran (age only)
    const deadOurs = write(store, `objects/ab/.tmp-deadbeef-${writerTag()}-999999-0000`, 'half an object');
    const oldForm = write(store, 'objects/ab/.tmp-deadbeef-999999-0000', 'half an object');
    const hoursAgo = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(oldForm, hoursAgo, hoursAgo);
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const printed = new Set<string>();
    // Writers marked for death write until killed, at a random moment after their k-th
    // acknowledged record (so the kill always lands while they are writing); the others
    // write 25 records and must finish cleanly.
    const runs = Array.from({ length: 8 }, (_, w) => new Promise<{ doomed: boolean; killed: boolean; code: number | null }>((resolve) => {
      const doomed = w % 2 === 1 || rand() < 0.5;
      const killAfter = 1 + Math.floor(rand() * 12);
      const delay = Math.floor(rand() * 40);
      const child = spawn(process.execPath, [WORKER, store, String(w), doomed ? '100000' : '25', w % 2 === 0 ? '1' : '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let buf = '';
      let acked = 0;
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          if (!/^[0-9a-f]{64}$/.test(l)) continue;
          printed.add(l);
          if (doomed && ++acked === killAfter) setTimeout(() => child.kill('SIGKILL'), delay);
        }
      });
      // killed only if the signal did end it
      child.on('close', (code, signal) => resolve({ doomed, killed: signal === 'SIGKILL', code }));
    }));
    const results = await Promise.all(runs);
    // a writer that was not killed finished cleanly
    expect(results.filter((r) => !r.killed).map((r) => r.code)).toEqual(results.filter((r) => !r.killed).map(() => 0));
    // every doomed writer was killed mid-stream (the fault happened), at least four of them
    expect(results.filter((r) => r.doomed).map((r) => r.killed)).toEqual(results.filter((r) => r.doomed).map(() => true));
    expect(results.filter((r) => r.killed).length).toBeGreaterThanOrEqual(4);
    expect(printed.size).toBeGreaterThan(20);

    const ids = new Set(listAllIds(path.join(store, 'objects')));
    for (const id of printed) expect(ids.has(id), `printed id ${id} is missing`).toBe(true);
    for (const id of ids) {
      const bytes = fs.readFileSync(path.join(store, 'objects', id.slice(0, 2), `${id.slice(2)}.yaml`));
      expect(sha256Hex(bytes)).toBe(id);
    }
    const report = JSON.parse(mlmeta(dir, ['verify', '--json']).stdout);
    expect(report.errors).toBe(0);
    expect(report.checked).toBe(ids.size);
    // the index agrees with the objects, forks and all
    const found = JSON.parse(ok(dir, ['find', '--kind', 'model', '--json']));
    expect(found.length).toBe(ids.size);
    // (a writer that landed in objects/ab may already have removed it: the next write cleans too)
    const fixed = JSON.parse(mlmeta(dir, ['verify', '--fix', '--json']).stdout);
    expect(fs.existsSync(deadOurs)).toBe(false);
    expect(fs.existsSync(oldForm)).toBe(false);
    expect(fixed.findings.filter((f: { finding: string }) => f.finding === 'STRAY_FILE')).toEqual([]);
    expect(fixed.errors).toBe(0);
    // the next record joins whatever forks the race left on the shared line
    ok(dir, ['record', 'model', '--name', 'shared', '--code', 'none', '--env', 'none']);
    expect(JSON.parse(ok(dir, ['show', 'shared', '--json'])).record.name).toBe('shared');
  }, 120_000);
});

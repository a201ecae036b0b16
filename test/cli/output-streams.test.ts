// Data on stdout, notes on stderr, quiet on closed pipes; flags that take numbers and dates
// refuse what they cannot mean; log shows messages.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, mlmeta, ok } from '../helpers/cli.js';
import { git, gitRepo, snapshot, write } from '../helpers/dirs.js';

const fixed = { SOURCE_DATE_EPOCH: '1767225600', MLMETA_AUTHOR: 'Test <t@example.test>' };

/** A store whose one record gives log, show and find --json outputs far larger than a pipe's buffer. */
function bigStore(): string {
  const repo = gitRepo();
  ok(repo, ['init']);
  const params = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`p${i}`, 'v'.repeat(20)]));
  write(repo, 'params.json', JSON.stringify(params));
  ok(repo, ['record', 'model', '--name', 'm', '--params', 'params.json', '-m', 'x'.repeat(100_000), '--code', 'none'], fixed);
  return repo;
}

function expectRefused(r: { code: number; stdout: string; stderr: string }, code: string, message: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error\\[${code}\\]: `));
  expect(lines[0]).toMatch(message);
}

describe('closed pipes', () => {
  it('exits quietly with its own exit code when the reader goes away (`| head -1`)', () => {
    const repo = bigStore();
    for (const args of ['log', 'find --json', 'show m', 'show m --json']) {
      // `exit $?` of the first command of the pipe: PIPESTATUS is bash-only, so a file.
      const r = spawnSync('sh', ['-c', `node ${BIN} ${args} 2>err.txt | head -c 10 >/dev/null; cat err.txt`], { cwd: repo, encoding: 'utf8', env: { ...process.env, MLMETA_DIR: '' } });
      expect(r.status).toBe(0);
      expect(r.stdout, `mlmeta ${args} | head`).toBe('');
      const status = spawnSync('sh', ['-c', `(node ${BIN} ${args}; echo $? >rc.txt) | head -c 10 >/dev/null; cat rc.txt`], { cwd: repo, encoding: 'utf8', env: { ...process.env, MLMETA_DIR: '' } });
      expect(status.stdout.trim(), `mlmeta ${args} | head: exit code`).toBe('0');
    }
  });
});

describe('notes go to stderr, data to stdout', () => {
  it('a fork note from log and the dirty warning from show are on stderr; --json is unchanged', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    ok(repo, ['record', 'model', '--name', 'm', '--param', 'v=base']);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'base');
    git(repo, 'checkout', '-qb', 'feature');
    ok(repo, ['record', 'model', '--name', 'm', '--param', 'v=feature']);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'feature');
    git(repo, 'checkout', '-q', 'main');
    ok(repo, ['record', 'model', '--name', 'm', '--param', 'v=main']);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'main');
    git(repo, 'merge', '-q', '--no-edit', 'feature');
    const log = mlmeta(repo, ['log']);
    expect(log.code).toBe(0);
    expect(log.stderr).toBe('note: model m has 2 heads (forked on different branches); the next record joins them\n');
    expect(log.stdout.trimEnd().split('\n').map((l) => l.split('  ')[1])).toEqual(['model m@2', 'model m@2', 'model m@1']);
    const logJson = mlmeta(repo, ['log', '--json']);
    expect(logJson.stderr).toBe('');
    expect(JSON.parse(logJson.stdout)).toHaveLength(3);

    write(repo, 'train.py', 'print("changed")\n');
    const dirty = ok(repo, ['record', 'model', '--name', 'dirty']);
    const show = mlmeta(repo, ['show', dirty]);
    expect(show.code).toBe(0);
    expect(show.stderr).toBe('warning: made from a dirty work tree (uncommitted changes)\n');
    expect(show.stdout).not.toMatch(/warning/);
    expect(show.stdout).toMatch(/^model dirty@1  [0-9a-f]{64}\n/);
    const showJson = mlmeta(repo, ['show', dirty, '--json']);
    expect(showJson.stderr).toBe('');
    expect(JSON.parse(showJson.stdout).record.code.dirty).toBe(true);
  });
});

describe('flags refuse what they cannot mean', () => {
  it('lineage --depth abc / -1 / 1.5 is a usage error; 0 and 2 work', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    const d = ok(repo, ['record', 'dataset', '--name', 'd', '--code', 'none'], fixed);
    ok(repo, ['record', 'model', '--name', 'm', '--data', d, '--code', 'none'], fixed);
    const store = path.join(repo, '.mlmeta');
    const before = snapshot(path.join(store, 'objects'));
    for (const bad of ['abc', '-1', '1.5']) {
      expectRefused(mlmeta(repo, ['lineage', 'm', `--depth=${bad}`]), 'E_USAGE', /--depth must be a whole number/);
    }
    expect(snapshot(path.join(store, 'objects'))).toEqual(before);
    expect(JSON.parse(ok(repo, ['lineage', 'm', '--depth', '0', '--json'])).nodes).toHaveLength(1);
    expect(JSON.parse(ok(repo, ['lineage', 'm', '--depth', '2', '--json'])).nodes.map((n: { kind: string }) => n.kind).sort()).toEqual(['dataset', 'model']);
  });

  it('find --since/--until read a bare year, YYYY-MM and YYYY-MM-DD as UTC dates; seconds need @ or 9+ digits', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    const ids: Record<string, string> = {};
    for (const [name, date] of [['y2025', '2025-12-31T23:59:59Z'], ['jan', '2026-01-01T00:00:00Z'], ['mar', '2026-03-14T12:00:00Z'], ['y2027', '2027-01-01T00:00:00Z']]) {
      ids[name] = ok(repo, ['record', 'model', '--name', name!, '--date', date!, '--code', 'none', '--env', 'none'], { MLMETA_AUTHOR: 'T <t@x>' });
    }
    const found = (...args: string[]) => JSON.parse(ok(repo, ['find', ...args, '--sort', 'created', '--asc', '--json'])).map((h: { record: { name: string } }) => h.record.name);
    expect(found('--since', '2026')).toEqual(['jan', 'mar', 'y2027']);
    expect(found('--until', '2026')).toEqual(['y2025', 'jan', 'mar']);
    expect(found('--since', '2026', '--until', '2026')).toEqual(['jan', 'mar']);
    expect(found('--since', '2026-03', '--until', '2026-03')).toEqual(['mar']);
    expect(found('--since', '2026-03-14', '--until', '2026-03-14')).toEqual(['mar']);
    expect(found('--until', '2025-12-31')).toEqual(['y2025']);
    expect(found('--since', '@1767225600')).toEqual(['jan', 'mar', 'y2027']);
    expect(found('--since', '1767225600')).toEqual(['jan', 'mar', 'y2027']);
    expect(found('--since', '2026-03-14T12:00:00')).toEqual(['mar', 'y2027']);
    for (const bad of ['2026-02-30', '2026-13', '12345', 'yesterday']) {
      expectRefused(mlmeta(repo, ['find', '--since', bad]), 'E_USAGE', /--since "[^"]+": .*@SECONDS/);
    }
  });

  it('a --where nested 20,000 levels deep is a positioned usage error, not a stack overflow', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    ok(repo, ['record', 'model', '--name', 'm', '--metric', 'auc=0.9'], fixed);
    expectRefused(mlmeta(repo, ['find', '--where', '('.repeat(20_000)]), 'E_USAGE', /^error\[E_USAGE\]: bad --where expression at position 65: nested more than 64 levels/);
    expectRefused(mlmeta(repo, ['find', '--where', `${'not '.repeat(20_000)}metrics.auc > 0`]), 'E_USAGE', /at position 257: nested more than 64 levels/);
    // 64 levels are fine, and a long flat chain is not nesting.
    expect(JSON.parse(ok(repo, ['find', '--where', `${'('.repeat(64)}metrics.auc > 0.5${')'.repeat(64)}`, '--json']))).toHaveLength(1);
    expect(JSON.parse(ok(repo, ['find', '--where', Array(4000).fill('metrics.auc > 0.5').join(' and '), '--json']))).toHaveLength(1);
  });
});

describe('log shows messages', () => {
  it('prints each version\'s -m message on an indented line, and in --json', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    const m1 = ok(repo, ['record', 'model', '--name', 'm', '-m', 'first try'], fixed);
    const m2 = ok(repo, ['record', 'model', '--name', 'm', '-m', 'more epochs\nsecond line'], fixed);
    const m3 = ok(repo, ['record', 'model', '--name', 'm'], fixed);
    const lines = ok(repo, ['log', 'm']).split('\n');
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${m3.slice(0, 12)}  model m@3 `)),
      expect.stringMatching(new RegExp(`^${m2.slice(0, 12)}  model m@2 `)),
      '    more epochs\\nsecond line',
      expect.stringMatching(new RegExp(`^${m1.slice(0, 12)}  model m@1 `)),
      '    first try',
    ]);
    expect(JSON.parse(ok(repo, ['log', 'm', '--json'])).map((e: { message?: string }) => e.message)).toEqual([undefined, 'more epochs\nsecond line', 'first try']);
  });
});

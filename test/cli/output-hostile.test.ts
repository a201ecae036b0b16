// Records planted or pulled from others may carry any bytes. A name that breaks the naming
// rules makes the record malformed (verify: BAD_NAME, exit 1; readers treat it as corrupt);
// fields that may legitimately hold anything (messages, authors, params) are shown with
// their control characters escaped. No text output may drive the terminal.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalYaml } from '../../src/records/yaml.js';
import { sha256Hex } from '../../src/store/objects.js';
import { mlmeta, ok, type CliResult } from '../helpers/cli.js';
import { gitRepo, snapshot, write } from '../helpers/dirs.js';

const fixed = { SOURCE_DATE_EPOCH: '1767225600', MLMETA_AUTHOR: 'Test <t@example.test>' };
const EVIL = 'evil\u001b]0;PWNED\u0007\u001b[31mred\nfake  model prod@9';
/** Everything a terminal would obey: C0 but newline, DEL, C1, bidi controls, line separators. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Write a record's canonical bytes under their sha256, as a push from someone else would. */
function plant(repo: string, body: Record<string, unknown>): string {
  const bytes = Buffer.from(canonicalYaml({ mlmeta: 1, created: '2026-01-02T00:00:00.000Z', ...body }), 'utf8');
  const id = sha256Hex(bytes);
  write(path.join(repo, '.mlmeta/objects'), `${id.slice(0, 2)}/${id.slice(2)}.yaml`, bytes);
  return id;
}

function expectSafe(r: CliResult, what: string): void {
  for (const [stream, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
    expect(RAW_CONTROL.test(text), `${what} ${stream} holds a raw control character: ${JSON.stringify(text)}`).toBe(false);
    expect(text, `${what} ${stream} printed a fake line`).not.toMatch(/^fake/m);
  }
}

function setup() {
  const repo = gitRepo();
  ok(repo, ['init']);
  const d = ok(repo, ['record', 'dataset', '--name', 'd'], fixed);
  const evil = plant(repo, { kind: 'model', name: EVIL, version: 9, parents: [{ role: 'data', id: d }] });
  const nul = plant(repo, { kind: 'model', name: 'nul\u0000name', version: 1, parents: [{ role: 'data', id: d }] });
  // A valid name, a malformed parent, and free-text fields full of control characters.
  const child = plant(repo, {
    kind: 'model', name: 'child', version: 1,
    author: 'Mallory \u001b]0;PWNED\u0007',
    message: 'tuned\r\nfake  model prod@9 \u001b[2J\u202eevil\u009b31m',
    params: { 'lr\u001b[31m': 'x\u0007', note: '\u2066hidden\u2069' },
    metrics: { 'auc\u001b[32m': 0.9 },
    parents: [{ role: 'data', id: d }, { role: 'previous', id: evil }],
  });
  return { repo, d, evil, nul, child };
}

describe('hostile names and fields in stored records', () => {
  it('verify reports a malformed name as BAD_NAME and exits 1, escaping what it quotes', () => {
    const { repo, evil, nul } = setup();
    const before = snapshot(path.join(repo, '.mlmeta/objects'));
    const r = mlmeta(repo, ['verify']);
    expectSafe(r, 'verify');
    expect(r.code).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('error['));
    expect(errors).toHaveLength(2);
    expect(errors.find((l) => l.includes(evil))).toMatch(/^error\[BAD_NAME\]: object [0-9a-f]{64} is not a valid record: bad name "evil\\u001b\]0;PWNED\\u0007\\u001b\[31mred\\nfake  model prod@9"/);
    expect(errors.find((l) => l.includes(nul))).toMatch(/^error\[BAD_NAME\]: .*bad name "nul\\u0000name"/);
    const json = JSON.parse(mlmeta(repo, ['verify', '--json']).stdout);
    expect(json.findings.filter((f: { finding: string }) => f.finding === 'BAD_NAME').map((f: { id: string }) => f.id).sort()).toEqual([evil, nul].sort());
    expect(snapshot(path.join(repo, '.mlmeta/objects'))).toEqual(before);
  });

  it('log, find, show, lineage and diff print no raw control characters; a malformed record is refused like a corrupt one', () => {
    const { repo, d, evil, nul, child } = setup();
    const log = mlmeta(repo, ['log']);
    expectSafe(log, 'log');
    expect(log.code).toBe(0);
    // The malformed records (the NUL-named one too) are not listed; the valid ones are.
    expect(log.stdout).not.toContain(evil.slice(0, 12));
    expect(log.stdout).not.toContain(nul.slice(0, 12));
    expect(log.stdout).toContain(`${child.slice(0, 12)}  model child@1  2026-01-02T00:00:00.000Z  Mallory \\e]0;PWNED\\x07`);
    expect(log.stdout).toContain('    tuned\\r\\nfake  model prod@9 \\e[2J\\u{202e}evil\\x9b31m');
    expect(log.stdout).toContain(`${d.slice(0, 12)}  dataset d@1`);

    const find = mlmeta(repo, ['find', '--kind', 'model']);
    expectSafe(find, 'find');
    expect(find.stdout.trim().split('\n')).toEqual([`${child.slice(0, 12)}  model child@1  2026-01-02T00:00:00.000Z  auc\\e[32m=0.9`]);

    const show = mlmeta(repo, ['show', 'child']);
    expectSafe(show, 'show');
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`  previous  ${evil.slice(0, 12)}  (malformed: see mlmeta verify)`);
    const refused = mlmeta(repo, ['show', evil]);
    expectSafe(refused, 'show malformed');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^error\[E_CORRUPT_OBJECT\]: object [0-9a-f]{64} is not a valid record: bad name "evil\\u001b[^"\n]*": [^\n]*\n$/);

    for (const format of ['text', 'dot', 'mermaid']) {
      const l = mlmeta(repo, ['lineage', 'child', '--format', format]);
      expectSafe(l, `lineage --format ${format}`);
      expect(l.code).toBe(0);
      expect(l.stdout).toContain('model child@1');
    }
    expect(ok(repo, ['lineage', 'child'])).toContain('model child@1  ' + child.slice(0, 12) + '  auc\\e[32m=0.9');
    const diff = mlmeta(repo, ['diff', 'child', 'd']);
    expectSafe(diff, 'diff');
    expect(diff.stdout).toContain('- lr\\e[31m: "x\\u0007"');

    // JSON keeps the exact values, and is terminal-safe too (C1 and bidi as \u escapes).
    const json = mlmeta(repo, ['log', '--json']);
    expectSafe(json, 'log --json');
    const entry = JSON.parse(json.stdout).find((e: { id: string }) => e.id === child);
    expect(entry.message).toBe('tuned\r\nfake  model prod@9 \u001b[2J\u202eevil\u009b31m');
  });
});

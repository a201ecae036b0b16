// mlmeta audit: each broken link the issue names, found and named; a clean model passes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { git, write } from '../helpers/dirs.js';
import { allowedSigners, modelRepo, objectFile, sshKey } from './helpers.js';

interface Item { check: string; status: string; message: string; id?: string }
const audit = (repo: string, args: string[]) => {
  const r = mlmeta(repo, ['audit', ...args, '--json']);
  const rep = JSON.parse(r.stdout) as { ok: boolean; items: Item[]; verdict: string };
  return { code: r.code, rep, broken: rep.items.filter((i) => i.status === 'broken') };
};

describe('audit', () => {
  const { repo, model, keys } = modelRepo();
  const alice = sshKey(keys, 'alice');
  const mallory = sshKey(keys, 'mallory');
  const trusted = allowedSigners(path.join(keys, 'allowed_signers'), [{ principal: 'alice@example.test', key: alice }]);
  git(repo, 'config', 'gpg.ssh.allowedSignersFile', trusted);

  it('passes a signed model with data lineage, and says so in one line (text, markdown)', () => {
    ok(repo, ['sign', model, '--key', alice.file]);
    const { code, rep } = audit(repo, ['churn', '--require-signature']);
    expect(code, JSON.stringify(rep.items)).toBe(0);
    expect(rep.verdict).toMatch(/^OK: model churn@1 .*signed by alice@example.test/);
    const text = mlmeta(repo, ['audit', 'churn']);
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n').pop()).toMatch(/^OK: /);
    const md = ok(repo, ['audit', 'churn', '--format', 'markdown']);
    expect(md).toMatch(/^### mlmeta audit: model churn@1/);
    expect(md).toMatch(/\| ✅ \| lineage \|/);
  });

  it('names a model with no data lineage, and an unsigned model only with --require-signature', () => {
    const lone = ok(repo, ['record', 'model', '--name', 'lonely', '--env', 'none']);
    const plain = audit(repo, [lone]);
    expect(plain.code).toBe(1);
    expect(plain.broken.map((b) => b.message)).toEqual([expect.stringMatching(/^no data lineage: model lonely@1/)]);
    expect(plain.rep.items.find((i) => i.check === 'signatures')?.status).toBe('warning');
    const strict = audit(repo, [lone, '--require-signature']);
    expect(strict.broken.some((b) => /^unsigned: model lonely@1/.test(b.message))).toBe(true);
  });

  it('names a missing parent and an unknown commit', () => {
    const parent = ok(repo, ['record', 'eval', '--code', 'none', '--env', 'none', '--metric', 'x=1']);
    const child = ok(repo, ['record', 'model', '--name', 'orphan', '--data', 'data', '--parent', `eval=${parent}`, '--code', 'deadbeef'.repeat(5), '--env', 'none']);
    fs.chmodSync(objectFile(repo, parent), 0o644);
    fs.rmSync(objectFile(repo, parent));
    const { code, broken } = audit(repo, [child]);
    expect(code).toBe(1);
    expect(broken.map((b) => b.message)).toEqual(expect.arrayContaining([
      expect.stringMatching(new RegExp(`^missing parent: model orphan@1 .* names eval ${parent}`)),
      expect.stringMatching(/^unknown commit deadbeef(deadbeef){4}, recorded by model orphan@1/),
    ]));
  });

  it('names a bad signature and an untrusted signer', () => {
    const m = ok(repo, ['record', 'model', '--name', 'churn', '--data', 'data', '--env', 'none']);
    const sig = ok(repo, ['sign', m, '--key', mallory.file]);
    const u = audit(repo, [m]);
    expect(u.code).toBe(1);
    expect(u.broken.map((b) => [b.id, b.message])).toEqual([[sig, expect.stringMatching(/^untrusted signer: signature/)]]);
    // a signature over other bytes, committed by hand
    const forged = execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-f', alice.file, '-n', 'mlmeta'], { input: 'other bytes', encoding: 'utf8' });
    const text = `created: '2026-01-01T00:00:00.000Z'\nkind: signature\nmlmeta: 1\nparents:\n  - id: ${m}\n    role: signed\nsignature: |\n${forged.trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}\n`;
    const bad = createHash('sha256').update(text).digest('hex');
    fs.mkdirSync(path.dirname(objectFile(repo, bad)), { recursive: true });
    fs.writeFileSync(objectFile(repo, bad), text);
    const b = audit(repo, [m]);
    expect(b.broken.find((x) => x.id === bad)?.message).toMatch(/^bad signature: /);
  });

  it('checks every move of NAME@ALIAS and names the unsigned one', () => {
    const v1 = ok(repo, ['record', 'model', '--name', 'ranker', '--data', 'data', '--env', 'none']);
    ok(repo, ['sign', v1, '--key', alice.file]);
    const move1 = ok(repo, ['alias', 'production', v1]); // unsigned
    const v2 = ok(repo, ['record', 'model', '--name', 'ranker', '--data', 'data', '--env', 'none']);
    git(repo, 'config', 'user.signingKey', alice.file);
    const move2 = ok(repo, ['alias', 'production', v2, '--sign']);
    git(repo, 'config', '--unset', 'user.signingKey');
    const r = audit(repo, ['ranker@production']);
    expect(r.code).toBe(1);
    const aliasBroken = r.broken.filter((b) => b.check === 'alias');
    expect(aliasBroken.map((b) => b.id)).toEqual([move1]);
    expect(aliasBroken[0]!.message).toMatch(/^unsigned alias move .*ranker@production -> /);
    ok(repo, ['sign', move1, '--key', alice.file]);
    ok(repo, ['sign', v2, '--key', alice.file]);
    const fixed = audit(repo, ['ranker@production']);
    expect(fixed.code, JSON.stringify(fixed.broken)).toBe(0);
    expect(fixed.rep.items.find((i) => i.check === 'alias')?.message).toMatch(/all 2 move\(s\)/);
    expect(move2).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names dataset files changed on disk, unless --no-data', () => {
    write(repo, 'data/train.csv', 'a,b\n1,3\n');
    const r = audit(repo, [model]);
    expect(r.broken.map((b) => b.message)).toEqual([expect.stringMatching(/^dataset data@1: 1 of 1 file\(s\) no longer match the manifest: data\/train.csv \(changed\)/)]);
    expect(audit(repo, [model, '--no-data']).code).toBe(0);
    write(repo, 'data/train.csv', 'a,b\n1,2\n');
  });

  it('a reproduction planted by hand is shown as an unsigned claim; a trusted signature makes it signed', () => {
    const m = ok(repo, ['record', 'model', '--name', 'claimed', '--data', 'data', '--env', 'none']);
    const text = `author: Alice <alice@example.test>\ncreated: '2026-01-01T00:00:00.000Z'\nkind: reproduction\nmlmeta: 1\nparents:\n  - id: ${m}\n    role: reproduces\nverdict: bitwise\n`;
    const claim = createHash('sha256').update(text).digest('hex');
    fs.mkdirSync(path.dirname(objectFile(repo, claim)), { recursive: true });
    fs.writeFileSync(objectFile(repo, claim), text);
    const r = audit(repo, [m]);
    expect(r.rep.items.find((i) => i.id === claim)?.message).toMatch(/^reproduced bitwise on .* by Alice <alice@example.test> \(unsigned: a claim anyone who can commit could make\)$/);
    expect(r.rep.verdict).toMatch(/reproduced bitwise \(unsigned\)/);
    ok(repo, ['sign', claim, '--key', alice.file]);
    const s = audit(repo, [m]);
    expect(s.rep.items.find((i) => i.id === claim)?.message).toMatch(/, signed by alice@example.test$/);
    expect(s.rep.verdict).not.toMatch(/\(unsigned\)/);
  });

  it('audit of a dataset checks that dataset\'s own files on disk', () => {
    write(repo, 'data/train.csv', 'a,b\n1,4\n');
    const r = audit(repo, ['data@1']);
    expect(r.code).toBe(1);
    expect(r.broken.map((b) => b.message)).toEqual([expect.stringMatching(/^dataset data@1: 1 of 1 file\(s\) no longer match the manifest: data\/train.csv \(changed\)/)]);
    write(repo, 'data/train.csv', 'a,b\n1,2\n');
    expect(audit(repo, ['data@1']).rep.items).toContainEqual(expect.objectContaining({ check: 'data', status: 'ok' }));
  });
});

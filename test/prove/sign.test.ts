// mlmeta sign / verify --signatures / --sign, against real ssh-keygen keys and trust files.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { git, snapshot, write } from '../helpers/dirs.js';
import { allowedSigners, extractSig, filesHolding, modelRepo, objectFile, sshKey } from './helpers.js';

const json = (s: string) => JSON.parse(s);
const findingsOf = (stdout: string): string[] => (json(stdout).findings as Array<{ finding: string }>).map((f) => f.finding);

/** Store an object by hand, as a collaborator (or attacker) could commit it. */
function plant(repo: string, text: string): string {
  const id = createHash('sha256').update(text).digest('hex');
  fs.mkdirSync(path.dirname(objectFile(repo, id)), { recursive: true });
  fs.writeFileSync(objectFile(repo, id), text);
  return id;
}

function signatureYaml(signed: string, armoured: string): string {
  const body = armoured.trimEnd().split('\n').map((l) => `  ${l}`).join('\n');
  return `created: '2026-01-01T00:00:00.000Z'\nkind: signature\nmlmeta: 1\nnamespace: mlmeta\nparents:\n  - id: ${signed}\n    role: signed\nsignature: |\n${body}\nsigned: ${signed}\n`;
}

describe('sign', () => {
  const { repo, model, keys } = modelRepo();
  const alice = sshKey(keys, 'alice');
  const mallory = sshKey(keys, 'mallory');
  const trusted = allowedSigners(path.join(keys, 'allowed_signers'), [{ principal: 'alice@example.test', key: alice }]);

  it('signs a record; plain ssh-keygen -Y verify accepts the object file; no private key material anywhere', () => {
    const r = mlmeta(repo, ['sign', 'churn', '--key', alice.file, '--allowed-signers', trusted, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = json(r.stdout);
    expect(res.signed).toBe(model);
    expect(res.principal).toBe('alice@example.test');
    const sig = ok(repo, ['show', res.id, '--json']);
    expect(json(sig).record?.kind ?? json(sig).kind).toBe('signature');
    // The auditor's route (docs/TRUST.md): no mlmeta involved.
    const sigFile = extractSig(repo, res.id, path.join(keys, 'record.sig'));
    const v = spawnSync('ssh-keygen', ['-Y', 'verify', '-f', trusted, '-I', 'alice@example.test', '-n', 'mlmeta', '-s', sigFile], { input: fs.readFileSync(objectFile(repo, model)), encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/Good "mlmeta" signature for alice@example.test/);
    // The namespace keeps it apart from commit signatures.
    const asGit = spawnSync('ssh-keygen', ['-Y', 'verify', '-f', trusted, '-I', 'alice@example.test', '-n', 'git', '-s', sigFile], { input: fs.readFileSync(objectFile(repo, model)) });
    expect(asGit.status).not.toBe(0);
    const ver = mlmeta(repo, ['verify', '--signatures', '--allowed-signers', trusted, '--json']);
    expect(ver.code, ver.stdout).toBe(0);
    expect(findingsOf(ver.stdout).filter((f) => /SIGN/.test(f))).toEqual([]);
    expect(filesHolding([path.join(repo, '.mlmeta')], alice.secretForms)).toEqual([]);
    expect(alice.secretForms.some((s) => r.stdout.includes(s) || r.stderr.includes(s))).toBe(false);
  });

  it('reads the key and trust from git config like git does, also an ssh-agent key (key::)', () => {
    git(repo, 'config', 'user.signingKey', alice.file);
    git(repo, 'config', 'gpg.ssh.allowedSignersFile', trusted);
    const id = ok(repo, ['sign', model]);
    expect(json(ok(repo, ['show', id, '--json'])).record?.principal ?? json(ok(repo, ['show', id, '--json'])).principal).toBe('alice@example.test');
    // ssh-agent holds the key; git config names only the public half
    const agent = execFileSync('ssh-agent', ['-s'], { encoding: 'utf8' });
    const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(agent)![1]!;
    const pid = Number(/SSH_AGENT_PID=(\d+);/.exec(agent)![1]);
    try {
      execFileSync('ssh-add', ['-q', alice.file], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      git(repo, 'config', 'user.signingKey', `key::${alice.pub}`);
      const r = mlmeta(repo, ['sign', model, '--json'], { SSH_AUTH_SOCK: sock });
      expect(r.code, r.stderr).toBe(0);
      const ver = mlmeta(repo, ['verify', model, '--signatures', '--json']);
      expect(ver.code).toBe(0);
      expect(findingsOf(ver.stdout).filter((f) => /SIGN/.test(f))).toEqual([]);
    } finally {
      process.kill(pid);
      git(repo, 'config', '--unset', 'user.signingKey');
      git(repo, 'config', '--unset', 'gpg.ssh.allowedSignersFile');
    }
  });

  it('flags an untrusted signer, a bad signature, an expired and a revoked key', () => {
    const other = mlmeta(repo, ['sign', model, '--key', mallory.file, '--json']);
    expect(other.code).toBe(0);
    const ver = mlmeta(repo, ['verify', '--signatures', '--allowed-signers', trusted, '--json']);
    expect(ver.code).toBe(0); // untrusted is a warning in verify
    expect(findingsOf(ver.stdout)).toContain('UNTRUSTED_SIGNATURE');

    // a signature over other bytes, planted as a record of the model
    write(keys, 'other.txt', 'not the model\n');
    const forged = execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-f', alice.file, '-n', 'mlmeta'], { input: 'not the model\n', encoding: 'utf8' });
    const bad = plant(repo, signatureYaml(model, forged));
    const before = snapshot(path.join(repo, '.mlmeta', 'objects'));
    const ver2 = mlmeta(repo, ['verify', '--signatures', '--allowed-signers', trusted, '--json']);
    expect(ver2.code).toBe(1);
    expect((json(ver2.stdout).findings as Array<{ finding: string; id?: string }>).find((f) => f.finding === 'BAD_SIGNATURE')?.id).toBe(bad);
    expect(snapshot(path.join(repo, '.mlmeta', 'objects'))).toEqual(before);
    fs.chmodSync(objectFile(repo, bad), 0o644);
    fs.rmSync(objectFile(repo, bad));

    const expired = allowedSigners(path.join(keys, 'expired'), [{ principal: 'alice@example.test', key: alice, options: 'valid-before="20200101"' }]);
    const ver3 = mlmeta(repo, ['verify', model, '--signatures', '--allowed-signers', expired, '--json']);
    expect(ver3.code).toBe(1);
    expect(findingsOf(ver3.stdout)).toContain('KEY_EXPIRED');

    fs.writeFileSync(path.join(keys, 'revoked'), `${alice.pub}\n`);
    git(repo, 'config', 'gpg.ssh.revocationFile', path.join(keys, 'revoked'));
    const ver4 = mlmeta(repo, ['verify', model, '--signatures', '--allowed-signers', trusted, '--json']);
    git(repo, 'config', '--unset', 'gpg.ssh.revocationFile');
    expect(ver4.code).toBe(1);
    expect(findingsOf(ver4.stdout)).toContain('KEY_REVOKED');
  });

  it('flags an allowed-signers file committed inside the repository', () => {
    const inRepo = allowedSigners(path.join(repo, 'allowed_signers'), [{ principal: 'alice@example.test', key: alice }]);
    const ver = mlmeta(repo, ['verify', model, '--signatures', '--allowed-signers', inRepo, '--json']);
    fs.rmSync(inRepo);
    expect(findingsOf(ver.stdout)).toContain('ALLOWED_SIGNERS_IN_REPO');
  });

  it('refuses to sign without a key, leaving the store unchanged', () => {
    const before = snapshot(path.join(repo, '.mlmeta', 'objects'));
    const r = mlmeta(repo, ['sign', model], { GIT_CONFIG_GLOBAL: '/dev/null' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_SIGNATURE\]: no signing key/);
    const r2 = mlmeta(repo, ['record', 'model', '--name', 'x', '--sign'], { GIT_CONFIG_GLOBAL: '/dev/null' });
    expect(r2.stderr).toMatch(/^error\[E_SIGNATURE\]/);
    expect(snapshot(path.join(repo, '.mlmeta', 'objects'))).toEqual(before);
  });

  it('--sign and `sign: true` in config sign as records are made', () => {
    git(repo, 'config', 'user.signingKey', alice.file);
    try {
      const r = mlmeta(repo, ['record', 'model', '--name', 'churn', '--data', 'data', '--env', 'none', '--sign']);
      expect(r.code, r.stderr).toBe(0);
      const id = r.stdout.trim();
      expect(r.stderr).toMatch(/signature [0-9a-f]{64}/);
      const sigId = /signature ([0-9a-f]{64})/.exec(r.stderr)![1]!;
      expect(fs.readFileSync(objectFile(repo, sigId), 'utf8')).toContain(`signed: ${id}`);
      fs.appendFileSync(path.join(repo, '.mlmeta', 'config.yaml'), 'sign: true\n');
      const a = mlmeta(repo, ['alias', 'production', id]);
      expect(a.code, a.stderr).toBe(0);
      expect(a.stderr).toMatch(/signature [0-9a-f]{64}/);
      const n = mlmeta(repo, ['alias', 'staging', id, '--no-sign']);
      expect(n.stderr).not.toMatch(/signature/);
    } finally {
      git(repo, 'config', '--unset', 'user.signingKey');
      const cfg = path.join(repo, '.mlmeta', 'config.yaml');
      fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('sign: true\n', ''));
    }
  });
});

afterAll(() => undefined);

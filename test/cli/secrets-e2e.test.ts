// Secret redaction end to end (review reproductions): whatever the user typed, no secret
// reaches the stored record, and ordinary hyperparameters are kept as given.
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { tempDir } from '../helpers/dirs.js';

function store(): string {
  const d = tempDir();
  ok(d, ['init']);
  return d;
}

const SECRETS = ['ok-AAA111', 'kg-BBB222', 'st-CCC333', 'pw-DDD444', 'ok-EEE555', 'sc-CCC999', 'sc-DDD999', 'sc-EEE999'];

describe('secrets end to end', () => {
  it('record: params and env under <name>_key and pw are redacted; ML names are kept', () => {
    const d = store();
    const r = mlmeta(d, [
      'record', 'model', '--name', 'm', '--code', 'none',
      '--param', 'openai_key=ok-AAA111', '--param', 'stripe_key=st-CCC333', '--param', 'user_pw=pw-DDD444',
      '--param', 'token_dim=64', '--param', 'pass_at_k=10', '--param', 'secret_sharing_rounds=3', '--param', 'token_merging_r=8',
      '--env', 'KAGGLE_KEY=kg-BBB222', '--env', 'OPENAI_KEY=ok-EEE555',
    ]);
    expect(r.code).toBe(0);
    for (const k of ['openai_key', 'stripe_key', 'user_pw']) expect(r.stderr).toContain(`param ${k} looks like a secret`);
    for (const k of ['KAGGLE_KEY', 'OPENAI_KEY']) expect(r.stderr).toContain(`env ${k} looks like a secret`);
    const id = r.stdout.trim();
    const raw = ok(d, ['cat', id]);
    for (const s of SECRETS) expect(raw).not.toContain(s);
    const rec = JSON.parse(ok(d, ['show', id, '--json'])).record;
    expect(rec.params).toEqual({
      openai_key: '[redacted]', stripe_key: '[redacted]', user_pw: '[redacted]',
      token_dim: 64, pass_at_k: 10, secret_sharing_rounds: 3, token_merging_r: 8,
    });
  });

  it('run: secret options inside a sh -c string and <name>-key options are redacted in the recorded command', () => {
    const d = store();
    const script = 'true --password sc-CCC999 --api_key sc-DDD999; export HF_TOKEN=sc-EEE999';
    const r = mlmeta(d, ['run', '--name', 'r', '--code', 'none', '--', 'sh', '-c', script, 'sh', '--openai-key', 'ok-AAA111', '--token-dim', '64']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/command argument command\[2\] looks like a secret/);
    const id = r.stdout.trim().split('\n').pop()!;
    const raw = ok(d, ['cat', id]);
    for (const s of SECRETS) expect(raw).not.toContain(s);
    expect(raw).toContain('--token-dim');
    expect(raw).toContain('64');
  });
});

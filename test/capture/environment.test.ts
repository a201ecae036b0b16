// Secrets in the environment: the process environment is never captured, and `--env
// KEY=VALUE` and params go through the same redaction as everything else in a record.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureEnvironment } from '../../src/capture/environment.js';
import { mlmeta, ok } from '../helpers/cli.js';
import { gitRepo, tempDir, write } from '../helpers/dirs.js';

const SECRETS = {
  sk: 'sk-proj-' + 'Q'.repeat(40),
  hf: 'hf_' + 'R'.repeat(34),
  aws: 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY',
  db: 'pg-pass-4f8a1c',
  tok: 'tok-9d2b7e',
  list: 'list-pass-77e1',
  gh: 'ghp_' + 'S'.repeat(36),
};

/** Every file under dir that contains s (the whole store, cache included). */
function filesContaining(dir: string, s: string): string[] {
  try {
    return execFileSync('grep', ['-rlF', '--', s, dir], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // grep exits 1 when nothing matches
  }
}

describe('captureEnvironment', () => {
  it('takes nothing from the process environment but the PATH lookup of python3', () => {
    const cache = tempDir();
    const env = { ...process.env, AWS_SECRET_ACCESS_KEY: SECRETS.aws, OPENAI_API_KEY: SECRETS.sk, HF_TOKEN: SECRETS.hf };
    const facts = captureEnvironment(cache, env);
    expect(Object.keys(facts).sort()).toEqual(expect.arrayContaining(['arch', 'node', 'os']));
    for (const k of Object.keys(facts)) expect(['os', 'arch', 'node', 'python', 'python_packages', 'python_packages_sha256']).toContain(k);
    for (const s of [SECRETS.aws, SECRETS.sk, SECRETS.hf]) {
      expect(JSON.stringify(facts)).not.toContain(s);
      expect(filesContaining(cache, s)).toEqual([]);
    }
  });
});

describe('record with secrets in params and --env (CLI)', () => {
  it('records none of them, anywhere under .mlmeta, and warns for each', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    write(repo, 'params.yaml', `db:\n  - host: h\n    password: ${SECRETS.list}\nopt: {lr: 0.1}\n`);
    const r = mlmeta(
      repo,
      [
        'record', 'model', '--name', 'm', '--params', 'params.yaml',
        '--param', `dbPassword=${SECRETS.db}`, '--param', `accessToken=${SECRETS.tok}`, '--param', 'max_tokens=512', '--param', `note=${SECRETS.gh}`,
        '--env', `OPENAI_API_KEY=${SECRETS.sk}`, '--env', `HF_TOKEN=${SECRETS.hf}`, '--env', `DATABASE_URL=postgres://me:${SECRETS.db}@db.test/x`,
        '--env', 'TOKENIZERS_PARALLELISM=false', '--json',
      ],
      { AWS_SECRET_ACCESS_KEY: SECRETS.aws, GITHUB_TOKEN: SECRETS.gh },
    );
    expect(r.code).toBe(0);
    for (const w of ['param db[0].password', 'param dbPassword', 'param accessToken', 'param note', 'env OPENAI_API_KEY', 'env HF_TOKEN', 'env DATABASE_URL']) {
      expect(r.stderr).toContain(`warning: ${w} looks like a secret`);
    }
    const rec = JSON.parse(r.stdout).record;
    expect(rec.params).toEqual({ db: [{ host: 'h', password: '[redacted]' }], opt: { lr: 0.1 }, dbPassword: '[redacted]', accessToken: '[redacted]', max_tokens: 512, note: '[redacted]' });
    expect(rec.env).toMatchObject({ OPENAI_API_KEY: '[redacted]', HF_TOKEN: '[redacted]', DATABASE_URL: 'postgres://db.test/x', TOKENIZERS_PARALLELISM: 'false' });
    for (const s of Object.values(SECRETS)) expect(filesContaining(path.join(repo, '.mlmeta'), s)).toEqual([]);
  });
});

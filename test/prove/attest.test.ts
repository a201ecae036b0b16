// mlmeta attest: DSSE envelopes checked by openssl over a PAE built here, not by mlmeta.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlmeta, ok } from '../helpers/cli.js';
import { tempDir } from '../helpers/dirs.js';
import { filesHolding, modelRepo } from './helpers.js';
import { write } from '../helpers/dirs.js';

/** DSSE v1 PAE, written from the spec (secure-systems-lab/dsse protocol.md). */
const paeOf = (type: string, body: Buffer) => Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);

describe('attest', () => {
  const { repo } = modelRepo();
  write(repo, 'model.bin', 'weights');
  const model = ok(repo, ['record', 'model', '--name', 'churn', '--data', 'data', '--artifact', 'model.bin', '--env', 'none']);
  const keys = tempDir('mlmeta-attest-');

  for (const alg of [['ed25519', ['-algorithm', 'ed25519']], ['P-256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']]] as const) {
    it(`signs an in-toto SLSA statement with ${alg[0]}; openssl verifies it; a flipped byte fails`, () => {
      const key = path.join(keys, `${alg[0]}.pem`);
      const pub = path.join(keys, `${alg[0]}.pub.pem`);
      execFileSync('openssl', ['genpkey', ...alg[1], '-out', key]);
      execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-out', pub]);
      const out = path.join(keys, `${alg[0]}.intoto.jsonl`);
      const r = mlmeta(repo, ['attest', model, '--key', key, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(1);
      const env = JSON.parse(lines[0]!);
      expect(env.payloadType).toBe('application/vnd.in-toto+json');
      const body = Buffer.from(env.payload, 'base64');
      const st = JSON.parse(body.toString('utf8'));
      expect(st._type).toBe('https://in-toto.io/Statement/v1');
      expect(st.predicateType).toBe('https://slsa.dev/provenance/v1');
      expect(st.subject).toEqual([{ name: 'model.bin', digest: { sha256: execFileSync('sha256sum', [path.join(repo, 'model.bin')], { encoding: 'utf8' }).split(' ')[0] } }]);
      expect(st.predicate.runDetails.builder.id).toBe('urn:mlmeta:builder:self-hosted');
      expect(st.predicate.buildDefinition.resolvedDependencies.map((d: { name: string }) => d.name)).toEqual(['code', 'dataset data@1']);
      const paeFile = path.join(keys, 'pae.bin');
      const sigFile = path.join(keys, 'sig.bin');
      fs.writeFileSync(sigFile, Buffer.from(env.signatures[0].sig, 'base64'));
      const verify = (data: Buffer) => {
        fs.writeFileSync(paeFile, data);
        return alg[0] === 'ed25519'
          ? spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', paeFile, '-sigfile', sigFile], { encoding: 'utf8' })
          : spawnSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', sigFile, paeFile], { encoding: 'utf8' });
      };
      const good = verify(paeOf(env.payloadType, body));
      expect(good.status, good.stderr).toBe(0);
      expect(good.stdout).toMatch(/Verified OK|Signature Verified Successfully/);
      const tampered = Buffer.from(body);
      tampered[tampered.length - 3] ^= 1;
      expect(verify(paeOf(env.payloadType, tampered)).status).not.toBe(0);
      // the private key never lands in the store
      const pem = fs.readFileSync(key, 'utf8').split('\n').filter((l) => l && !l.startsWith('-----'));
      expect(filesHolding([path.join(repo, '.mlmeta')], pem)).toEqual([]);
    });
  }

  it('refuses an unsupported key and a missing --key', () => {
    const rsa = path.join(keys, 'rsa.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', rsa], { stdio: 'ignore' });
    const r = mlmeta(repo, ['attest', model, '--key', rsa]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[E_SIGNATURE\]: .*ed25519 or ECDSA P-256 keys, not rsa/);
    expect(mlmeta(repo, ['attest', model]).stderr).toMatch(/^error\[E_SIGNATURE\]: attest needs --key/);
  });
});

import { describe, expect, it } from 'vitest';
import { isSecretKey, keyWords, REDACTED, redactCommand, redactSecrets, redactString, redactUrl } from '../../src/records/secrets.js';

describe('secret keys', () => {
  it('splits camelCase, PascalCase with acronyms, snake, kebab and dots into words', () => {
    expect(keyWords('AWSSecretAccessKey')).toEqual(['aws', 'secret', 'access', 'key']);
    expect(keyWords('apiKEY')).toEqual(['api', 'key']);
    expect(keyWords('x-api-key')).toEqual(['x', 'api', 'key']);
    expect(keyWords('db.password_hash')).toEqual(['db', 'password', 'hash']);
    expect(keyWords('oauth2Token')).toEqual(['oauth2', 'token']);
  });

  it.each([
    'accessToken', 'clientSecret', 'dbPassword', 'apiToken', 'awsSecretAccessKey', 'AWSSecretAccessKey',
    'AWS_SECRET_ACCESS_KEY', 'apiKEY', 'APIKey', 'api_key', 'x-api-key', 'apikey', 'PGPASSWORD', 'MYSQL_PWD',
    'HF_TOKEN', 'token', 'hf_token', 'id_token', 'api_tokens', 'private_key', 'ssh-key', 'sessionKey',
    'passphrase', 'credentials', 'Authorization', 'bearer', 'cookie', 'use_auth_token', 'db_pass', 'jwt',
  ])('%s is a secret key', (k) => {
    expect(isSecretKey(k)).toBe(true);
  });

  it.each([
    'max_tokens', 'num_tokens', 'max_new_tokens', 'tokenizer', 'token_limit', 'tokens', 'pad_token', 'eos_token_id',
    'pad_token_id', 'tokenizer_name', 'TOKENIZERS_PARALLELISM', 'max_token', 'author', 'key', 'sort_key', 'key_column',
    'primary_key', 'signature', 'lr', 'batch_size', 'bypass', 'monkey', 'keyboard',
  ])('%s is not a secret key', (k) => {
    expect(isSecretKey(k)).toBe(false);
  });

  it('a bare key or signature is secret only as a URL query parameter', () => {
    for (const k of ['key', 'sig', 'signature', 'X-Amz-Signature']) expect(isSecretKey(k, 'query')).toBe(true);
    expect(isSecretKey('X-Amz-Credential', 'query')).toBe(true);
    expect(isSecretKey('X-Amz-Date', 'query')).toBe(false);
    expect(isSecretKey('ref', 'query')).toBe(false);
  });
});

describe('redactSecrets', () => {
  it('redacts camelCase keys, list items at any depth, and secret-looking values; names each path', () => {
    const params = {
      accessToken: 'a1',
      lr: 0.1,
      max_tokens: 512,
      db: [{ host: 'h', password: 'p1' }, { nested: [{ clientSecret: 's' }] }],
      remote: 'https://user:pw@example.test/x?private_token=abc&page=2',
      note: 'ghp_' + 'a'.repeat(36),
      flags: [true, 'sk-' + 'b'.repeat(40)],
      credentials: { user: 'bob', port: 5432, enabled: true },
      empty_password: '',
    };
    const hits = redactSecrets(params);
    expect(params).toEqual({
      accessToken: REDACTED,
      lr: 0.1,
      max_tokens: 512,
      db: [{ host: 'h', password: REDACTED }, { nested: [{ clientSecret: REDACTED }] }],
      remote: `https://example.test/x?private_token=${REDACTED}&page=2`,
      note: REDACTED,
      flags: [true, REDACTED],
      credentials: { user: REDACTED, port: REDACTED, enabled: true },
      empty_password: '',
    });
    expect(hits.sort()).toEqual(['accessToken', 'credentials.port', 'credentials.user', 'db[0].password', 'db[1].nested[0].clientSecret', 'flags[1]', 'note', 'remote'].sort());
  });

  it('renames a key that is itself a credential', () => {
    const key = 'ghp_' + 'c'.repeat(36);
    const m: Record<string, number> = { [key]: 1 };
    expect(redactSecrets(m)).toEqual([REDACTED]);
    expect(JSON.stringify(m)).not.toContain(key);
  });

  it('prefixes paths', () => {
    expect(redactSecrets({ opt: { apiKey: 'x' } }, 'params')).toEqual(['params.opt.apiKey']);
  });
});

describe('secret-looking values', () => {
  const samples = [
    'sk-ant-api03-' + 'x'.repeat(40),
    'ghp_' + 'A'.repeat(36),
    'github_pat_' + 'B'.repeat(40),
    'xoxb-1234567890-abcdefghij',
    'xoxp-1234567890-abcdefghij',
    'AKIAIOSFODNN7EXAMPLE',
    'hf_' + 'd'.repeat(34),
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  ];
  it.each(samples)('%s is redacted whatever the key', (s) => {
    const m = { comment: `value ${s} here` };
    expect(redactSecrets(m)).toEqual(['comment']);
    expect(m.comment).toBe(`value ${REDACTED} here`);
  });

  it('connection strings, headers and assignments inside strings', () => {
    expect(redactString('Server=db;Uid=me;Pwd=hunter2;Database=x')).toBe(`Server=db;Uid=me;Pwd=${REDACTED};Database=x`);
    expect(redactString('DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc==;EndpointSuffix=core')).toBe(
      `DefaultEndpointsProtocol=https;AccountName=a;AccountKey=${REDACTED};EndpointSuffix=core`,
    );
    expect(redactString('Authorization: Basic dXNlcjpwYXNz')).toBe(`Authorization: ${REDACTED}`);
    expect(redactString('Bearer abcdefghijklmnop1234')).toBe(`Bearer ${REDACTED}`);
    expect(redactString('lr=0.1 token=abc')).toBe(`lr=0.1 token=${REDACTED}`);
  });

  it('leaves ordinary values alone', () => {
    for (const s of ['adam', 'data/train.csv', 'https://example.test/a?page=1', 'git@github.com:o/r.git', 'lr=0.1', 'sk-learn', 'Token classification', 'a'.repeat(64)]) {
      expect(redactString(s)).toBeUndefined();
    }
  });
});

describe('redactUrl', () => {
  it.each([
    ['https://oauth2:TOKEN@host/p.git', 'https://host/p.git'],
    ['https://TOKEN@github.com/o/r.git', 'https://github.com/o/r.git'],
    ['https://gitlab.test/o/r.git?private_token=abc&x=1', `https://gitlab.test/o/r.git?private_token=${REDACTED}&x=1`],
    ['https://b.s3.amazonaws.com/k?X-Amz-Credential=AK%2F1&X-Amz-Date=2&X-Amz-Signature=ff', `https://b.s3.amazonaws.com/k?X-Amz-Credential=${REDACTED}&X-Amz-Date=2&X-Amz-Signature=${REDACTED}`],
    ['https://a.blob.core.windows.net/c?sv=2020&sig=abc%3D', `https://a.blob.core.windows.net/c?sv=2020&sig=${REDACTED}`],
    ['https://api.test/v1?key=AIzaSomething&q=1', `https://api.test/v1?key=${REDACTED}&q=1`],
    ['https://app.test/cb#access_token=abc&state=1', `https://app.test/cb#access_token=${REDACTED}&state=1`],
    ['postgres://me:pw@db.test:5432/x', 'postgres://db.test:5432/x'],
    ['git@github.com:o/r.git', 'git@github.com:o/r.git'],
    ['/srv/git/r.git', '/srv/git/r.git'],
    ['https://example.test/a/b', 'https://example.test/a/b'],
    ['weird user:pw@host/x', 'host/x'],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

describe('redactCommand', () => {
  it('redacts secret option values, KEY=VALUE secrets, secret-looking values and URL credentials; keeps option names', () => {
    const sk = 'sk-' + 'e'.repeat(40);
    const argv = [
      'python', 'train.py', '--api-key=' + sk, '--password', 'hunter2', '--token=abc', '-token', 'xyz',
      'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI', '--lr', '0.1', '--max-tokens', '512', '--use_auth_token', '--model', 'gpt2',
      '--remote', 'https://u:p@host/x?private_token=t', '+db.password=pw', '-p', '8080', '--no-password', 'data.csv', '--hf-token', sk,
    ];
    const { argv: out, hits } = redactCommand(argv);
    expect(out).toEqual([
      'python', 'train.py', `--api-key=${REDACTED}`, '--password', REDACTED, `--token=${REDACTED}`, '-token', REDACTED,
      `AWS_SECRET_ACCESS_KEY=${REDACTED}`, '--lr', '0.1', '--max-tokens', '512', '--use_auth_token', '--model', 'gpt2',
      '--remote', `https://host/x?private_token=${REDACTED}`, `+db.password=${REDACTED}`, '-p', '8080', '--no-password', 'data.csv', '--hf-token', REDACTED,
    ]);
    expect(hits).toEqual(['command[2]', 'command[4]', 'command[5]', 'command[7]', 'command[8]', 'command[17]', 'command[18]', 'command[24]']);
    expect(argv[4]).toBe('hunter2'); // the input is not modified
  });

  it('leaves an ordinary command as it is', () => {
    const argv = ['python', 'train.py', '--epochs', '3', '--out', 'model.pkl', '--max_tokens=128', 'lr=0.1'];
    expect(redactCommand(argv)).toEqual({ argv, hits: [] });
  });
});

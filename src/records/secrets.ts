// Credentials never go into records: a record is immutable and gets pushed, so a leaked
// token can never be taken back. When in doubt, redact and say so: every function here
// returns where it redacted, and callers warn each time.
//
// Two independent tests, both applied everywhere:
// - the key: split into words (camelCase, PascalCase with acronyms, snake, kebab, dots:
//   `AWSSecretAccessKey` → aws secret access key) and matched against words that name a
//   secret (see isSecretKey);
// - the value: strings that look like a credential whatever their key — provider token
//   formats, private-key blocks, JWTs, `Bearer …`, URLs with userinfo or secret query
//   parameters, `name=value` pieces whose name is secret (connection strings, Hydra
//   overrides, `KEY=VALUE` arguments).
import type { Json } from './yaml.js';

export const REDACTED = '[redacted]';

/** The words of a key, lower-cased: `apiKEY` → api key, `AWSSecretAccessKey` → aws secret access key. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

// A word that is a secret wherever it stands in a key.
const SECRET_WORDS = new Set([
  'password', 'passwords', 'passwd', 'pwd', 'pass', 'passphrase', 'passcode', 'secret', 'secrets',
  'credential', 'credentials', 'creds', 'auth', 'authorization', 'bearer', 'cookie', 'cookies', 'jwt',
]);
// Run-together spellings (`PGPASSWORD`, `dbpassword`, `accesstoken`): a word containing one of these.
const SECRET_ROOTS = [
  'password', 'passwd', 'passphrase', 'secret', 'credential', 'apikey', 'accesskey', 'privatekey', 'secretkey',
  'sessionkey', 'signingkey', 'accesstoken', 'authtoken', 'apitoken', 'refreshtoken', 'bearertoken', 'sessiontoken',
];
// `key` alone is an ordinary word (`sort_key`, `key_column`); these make it a secret.
const KEY_QUALIFIERS = new Set([
  'api', 'access', 'private', 'secret', 'session', 'signing', 'encryption', 'decryption', 'master', 'client', 'ssh',
  'auth', 'account', 'storage', 'shared', 'subscription', 'app', 'hmac', 'license', 'sas', 'service', 'gpg', 'pgp',
]);
// `token` is a credential, but in ML it is mostly a unit of text: `max_tokens`, `pad_token_id`,
// `eos_token`, `token_limit`. A singular `token` is secret unless a word of the key marks it
// as text; plural `tokens` is secret only right after one of TOKEN_QUALIFIERS (`api_tokens`).
const TOKEN_QUALIFIERS = new Set([
  'access', 'api', 'bearer', 'refresh', 'session', 'oauth', 'id', 'personal', 'security', 'csrf', 'bot', 'deploy',
  'service', 'user', 'app', 'github', 'gh', 'hf', 'huggingface', 'gitlab', 'slack', 'npm', 'pypi', 'private',
]);
const TEXT_TOKEN_BEFORE = new Set([
  'pad', 'eos', 'bos', 'unk', 'sep', 'cls', 'mask', 'start', 'end', 'special', 'sos', 'eot', 'stop', 'begin', 'image',
  'audio', 'video', 'vision', 'placeholder', 'decoder', 'encoder', 'bad', 'new', 'prompt', 'context', 'input', 'output',
  'generated', 'train', 'eval', 'vocab', 'first', 'last',
]);
const TEXT_TOKEN_AFTER = new Set([
  'id', 'ids', 'type', 'types', 'index', 'indices', 'idx', 'embedding', 'embeddings', 'dropout', 'level',
  'classification', 'window', 'usage', 'logprobs', 'probs', 'scores', 'weights', 'rate', 'throughput',
]);
const COUNT_WORDS = new Set(['max', 'min', 'num', 'n', 'total', 'avg', 'mean', 'count', 'counts', 'limit', 'limits', 'len', 'length', 'size', 'budget', 'per']);
// In a URL's query or fragment a bare `key` (`?key=AIza…`) or signature (pre-signed S3, Azure
// SAS `sig`) is the credential itself. In params a `signature` is usually a model's input
// signature (MLflow), so these count only in URLs.
const QUERY_SECRET_WORDS = new Set(['key', 'keys', 'sig', 'signature']);

/**
 * Whether a key names a secret. `context: 'query'` for URL query parameter names, where
 * `key`, `sig` and `signature` alone are secrets too.
 */
export function isSecretKey(key: string, context: 'key' | 'query' = 'key'): boolean {
  const w = keyWords(key);
  const counted = w.some((x) => COUNT_WORDS.has(x));
  return w.some((word, i) => {
    if (SECRET_WORDS.has(word)) return true;
    if (SECRET_ROOTS.some((r) => word.includes(r))) return true;
    if (context === 'query' && QUERY_SECRET_WORDS.has(word)) return true;
    const before = w[i - 1] ?? '';
    if (word === 'key' || word === 'keys') return KEY_QUALIFIERS.has(before);
    if (word === 'token') return TOKEN_QUALIFIERS.has(before) || !(counted || TEXT_TOKEN_BEFORE.has(before) || TEXT_TOKEN_AFTER.has(w[i + 1] ?? ''));
    if (word === 'tokens') return TOKEN_QUALIFIERS.has(before) && !counted;
    return false;
  });
}

// Credentials recognisable by their form, whatever the key. Each match is replaced.
const SECRET_VALUE_PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  /\bsk-[A-Za-z0-9_-]{16,}/g, // OpenAI, Anthropic (sk-ant-…)
  /\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g, // Stripe
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g, // GitHub
  /\bgithub_pat_[A-Za-z0-9_]{30,}/g,
  /\bglpat-[A-Za-z0-9_-]{20,}/g, // GitLab
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack
  /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b/g, // AWS key ids
  /\bhf_[A-Za-z0-9]{30,}/g, // Hugging Face
  /\bAIza[0-9A-Za-z_-]{35}/g, // Google API key
  /\bnpm_[A-Za-z0-9]{36}/g,
  /\bpypi-[A-Za-z0-9_-]{50,}/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, // JWT
  /(?<=\bBearer\s+)[A-Za-z0-9._~+/-]{12,}=*/g,
];
const URL_RE = /\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'<>`]+/g;
// `name=value` inside a string: connection strings (`…;Password=x;…`), overrides
// (`+db.password=x`), environment assignments, query strings the URL parser did not get.
const PAIR_RE = /(^|[;,\s?&])([-+~]*)([A-Za-z_][\w.-]*)=([^;&\s]*)/g;
// A whole string that is a header line: `Authorization: Basic …`, `X-Api-Key: …`.
const HEADER_RE = /^(\s*)([A-Za-z][\w-]*)(\s*:\s*)(\S.*)$/s;

function redactQuery(query: string): string | undefined {
  let changed = false;
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1 || part.slice(eq + 1) === REDACTED) return part;
    let name = part.slice(0, eq);
    try {
      name = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      /* keep it as written */
    }
    if (!isSecretKey(name, 'query')) return part;
    changed = true;
    return `${part.slice(0, eq)}=${REDACTED}`;
  });
  return changed ? parts.join('&') : undefined;
}

/** The URL without its secrets, or undefined when it holds none. */
function urlWithoutSecrets(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // scp-like `git@host:path` carries no secret; anything else unparseable with an `@`
    // is cut to its tail rather than risk keeping a token.
    if (/^[\w.-]+@[\w.-]+:/.test(url) || !url.includes('@')) return undefined;
    return url.slice(url.lastIndexOf('@') + 1);
  }
  let changed = false;
  // Any userinfo: `https://TOKEN@github.com` puts the token in the user name.
  if (u.username || u.password) {
    u.username = '';
    u.password = '';
    changed = true;
  }
  const query = redactQuery(u.search.slice(1));
  if (query !== undefined) {
    u.search = query;
    changed = true;
  }
  const hash = redactQuery(u.hash.slice(1)); // OAuth implicit flow: `#access_token=…`
  if (hash !== undefined) {
    u.hash = hash;
    changed = true;
  }
  return changed ? u.toString() : undefined;
}

function redactPatterns(s: string): string {
  let out = s;
  for (const re of SECRET_VALUE_PATTERNS) out = out.replace(re, REDACTED);
  return out;
}

/**
 * A URL without userinfo and without the values of secret query (and fragment) parameters
 * (`?private_token=…`, `X-Amz-Signature`, `sig`, `key`, …, replaced by `[redacted]`); the
 * rest is kept as written. Unparseable input: scp-like `git@host:path` is kept, anything
 * else with an `@` is cut to what follows the last `@`.
 */
export function redactUrl(url: string): string {
  return redactPatterns(urlWithoutSecrets(url) ?? url);
}

/** A string with everything that looks like a credential replaced, or undefined when nothing does. */
export function redactString(s: string): string | undefined {
  let out = s.replace(URL_RE, (u) => urlWithoutSecrets(u) ?? u);
  out = redactPatterns(out);
  out = out.replace(PAIR_RE, (all, sep: string, dashes: string, name: string, value: string) =>
    value !== '' && value !== REDACTED && isSecretKey(name, sep === '?' || sep === '&' ? 'query' : 'key') ? `${sep}${dashes}${name}=${REDACTED}` : all,
  );
  const header = HEADER_RE.exec(out);
  if (header && header[4] !== REDACTED && !header[4]!.startsWith('//') && isSecretKey(header[2]!)) out = `${header[1]}${header[2]}${header[3]}${REDACTED}`;
  return out === s ? undefined : out;
}

function pathOf(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

/** Replace every string and number under a secret key (booleans and null carry no secret). */
function redactAll(value: Json, where: string, hits: string[]): Json {
  if (Array.isArray(value)) return value.map((v, i) => redactAll(v, `${where}[${i}]`, hits));
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) value[k] = redactAll(v, pathOf(where, k), hits);
    return value;
  }
  if ((typeof value === 'string' && value !== '' && value !== REDACTED) || typeof value === 'number') {
    hits.push(where);
    return REDACTED;
  }
  return value;
}

function redactValue(value: Json, where: string, hits: string[]): Json {
  if (typeof value === 'string') {
    const r = redactString(value);
    if (r === undefined) return value;
    hits.push(where);
    return r;
  }
  if (Array.isArray(value)) return value.map((v, i) => redactValue(v, `${where}[${i}]`, hits));
  if (value !== null && typeof value === 'object') {
    redactMapping(value, where, hits);
    return value;
  }
  return value;
}

function redactMapping(value: { [k: string]: Json }, prefix: string, hits: string[]): void {
  for (const k of Object.keys(value)) {
    const v = value[k]!;
    // A key can itself be a credential (`--param ghp_…=1`): it is renamed.
    let key = k;
    const renamed = redactString(k);
    if (renamed !== undefined) {
      key = renamed;
      for (let n = 2; Object.hasOwn(value, key); n++) key = `${renamed}-${n}`;
      delete value[k];
      hits.push(pathOf(prefix, key));
    }
    const where = pathOf(prefix, key);
    value[key] = isSecretKey(k) ? redactAll(v, where, hits) : redactValue(v, where, hits);
  }
}

/**
 * Redact, in place, values under secret keys and values that look like secrets, at any
 * depth, lists included. Returns the paths redacted (`db.password`, `db[0].password`).
 */
export function redactSecrets(value: { [k: string]: Json }, prefix = ''): string[] {
  const hits: string[] = [];
  redactMapping(value, prefix, hits);
  return hits;
}

/**
 * A command line fit for a record: the values of secret options (`--password X`,
 * `--token=X`, `-token X`), of secret `KEY=VALUE` arguments, secret-looking values and
 * credentials in URLs are replaced by `[redacted]`; option names are kept. `hits` names
 * the redacted arguments as `command[i]`. Short options (`-p X`) are left alone: a
 * letter says nothing about its meaning, but the value tests still apply to them.
 */
export function redactCommand(argv: string[]): { argv: string[]; hits: string[] } {
  const out = [...argv];
  const hit = new Set<number>();
  for (let i = 0; i < out.length; i++) {
    const r = redactString(out[i]!);
    if (r !== undefined) {
      out[i] = r;
      hit.add(i);
    }
    // `--password X`: the value is the next argument, unless that is another long option
    // (`--use_auth_token --model gpt2`) or the option is a negation (`--no-password`).
    const opt = /^--?([A-Za-z][\w.-]+)$/.exec(argv[i]!);
    const next = out[i + 1];
    if (opt && next !== undefined && next !== '' && next !== REDACTED && !next.startsWith('--') && keyWords(opt[1]!)[0] !== 'no' && isSecretKey(opt[1]!)) {
      out[i + 1] = REDACTED;
      hit.add(i + 1);
      i++;
    }
  }
  return { argv: out, hits: [...hit].sort((a, b) => a - b).map((i) => `command[${i}]`) };
}

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

// Each word of a key is judged with the whole key in view. Numbers under a secret key are
// redacted too (a PIN is a number), so a key wrongly taken for a secret loses a
// hyperparameter forever: the exceptions below are for names that ML configs really use.

// Words that are a secret wherever they stand in a key (`user_pw`, `MYSQL_PWD`, `max_password_length`).
const SECRET_WORDS = new Set([
  'password', 'passwords', 'passwd', 'pwd', 'passphrase', 'passcode', 'pincode', 'credential', 'credentials', 'creds',
  'auth', 'authorization', 'bearer', 'cookie', 'cookies', 'jwt',
]);
// Run-together spellings (`PGPASSWORD`, `dbpassword`, `accesstoken`): a word containing one of these.
const SECRET_ROOTS = [
  'password', 'passwd', 'passphrase', 'credential', 'apikey', 'accesskey', 'privatekey', 'secretkey',
  'sessionkey', 'signingkey', 'accesstoken', 'authtoken', 'apitoken', 'refreshtoken', 'bearertoken', 'sessiontoken',
];
// Measures and counts: `secret_sharing_rounds`, `num_secrets`, `token_dim`, `pw_kernel_size`
// count or size something; they hold no secret.
const MEASURE_WORDS = new Set([
  'max', 'min', 'num', 'n', 'k', 'r', 'total', 'avg', 'mean', 'count', 'counts', 'limit', 'limits', 'len', 'length',
  'size', 'budget', 'per', 'dim', 'dims', 'ratio', 'rate', 'rounds', 'round', 'frac', 'fraction',
]);
// `key`, `keys`: a credential after one of these (`api_key`, `ssh_keys`), whatever else the key says.
const KEY_QUALIFIERS = new Set([
  'api', 'access', 'private', 'secret', 'session', 'signing', 'encryption', 'decryption', 'master', 'client', 'ssh',
  'auth', 'account', 'storage', 'shared', 'subscription', 'app', 'hmac', 'license', 'sas', 'service', 'gpg', 'pgp',
]);
// `<anything>_key` (`openai_key`, `KAGGLE_KEY`, `stripe_key`) is a credential unless a word
// of the key is data or model vocabulary: `sort_key`, `primary_key`, `cache_key`, `rng_key`
// (JAX), `text_key` (a dataset column), `attn_key`. A bare `key` is not (a sort or dict key).
const KEY_ML_WORDS = new Set([
  'sort', 'order', 'primary', 'foreign', 'unique', 'composite', 'natural', 'surrogate', 'partition', 'shard', 'bucket',
  'group', 'join', 'merge', 'lookup', 'dict', 'map', 'mapping', 'table', 'row', 'record', 'entry', 'item', 'object',
  'blob', 'prefix', 'col', 'cols', 'column', 'columns', 'field', 'fields', 'attr', 'attribute', 'property', 'name',
  'names', 'id', 'ids', 'idx', 'index', 'value', 'values', 'query', 'cache', 'hash', 'hashing', 'checkpoint', 'ckpt',
  'state', 'config', 'metric', 'monitor', 'score', 'feature', 'features', 'label', 'labels', 'target', 'targets',
  'class', 'category', 'time', 'timestamp', 'date', 'seed', 'random', 'rng', 'prng', 'noise', 'dropout', 'init',
  'sample', 'sampling', 'shuffle', 'split', 'data', 'dataset', 'text', 'image', 'audio', 'video', 'input', 'output',
  'prompt', 'response', 'answer', 'question', 'context', 'attention', 'attn', 'head', 'heads', 'proj', 'layer',
  'embed', 'embedding', 'kv', 'qk', 'memory', 'seq', 'sequence', 'token', 'tokens', 'vocab', 'node', 'edge', 'graph',
  ...MEASURE_WORDS,
]);
// What may follow the last `key` and still leave it last: `stripe_key_2`, `openai_key_prod`.
const KEY_SUFFIX = /^(?:\d+|v\d+|live|test|prod|production|dev|staging|old|new|backup|b64|base64|hex|raw)$/;
// A key ending in one of these names where a secret is kept, not the secret (`password_file`,
// `ssh_key_path`): its value is a path, which the value checks still see.
const LOCATION_WORDS = new Set(['file', 'filename', 'path', 'dir']);
// `token` is a credential, but in ML it is mostly a unit of text: `max_tokens`, `pad_token_id`,
// `token_dim`, `token_pruning_ratio`. A singular `token` is secret right after one of
// TOKEN_QUALIFIERS (`hf_token`, `id_token`), else unless a word of the key marks it as text or
// a measure; plural `tokens` is secret only right after a qualifier (`api_tokens`).
const TOKEN_QUALIFIERS = new Set([
  'access', 'api', 'bearer', 'refresh', 'session', 'oauth', 'id', 'personal', 'security', 'csrf', 'bot', 'deploy',
  'service', 'user', 'app', 'github', 'gh', 'hf', 'huggingface', 'gitlab', 'slack', 'npm', 'pypi', 'private',
]);
const TEXT_TOKEN_WORDS = new Set([
  // what a text token is
  'pad', 'eos', 'bos', 'unk', 'sep', 'cls', 'mask', 'start', 'end', 'special', 'sos', 'eot', 'stop', 'begin', 'image',
  'audio', 'video', 'vision', 'placeholder', 'decoder', 'encoder', 'bad', 'new', 'prompt', 'context', 'input', 'output',
  'generated', 'train', 'eval', 'vocab', 'first', 'last',
  // what is done to text tokens or measured on them
  'id', 'ids', 'type', 'types', 'index', 'indices', 'idx', 'embedding', 'embeddings', 'dropout', 'drop', 'level',
  'classification', 'window', 'usage', 'logprobs', 'probs', 'scores', 'weights', 'throughput', 'shift', 'merging',
  'merge', 'pruning', 'prune', 'mixing', 'mixer', 'pooling', 'pool', 'selection', 'keep', 'at',
  ...MEASURE_WORDS,
]);
// A bare `pass` is ML (`pass_at_k`, `n_pass`, `forward_pass`), a bare `pin` is PyTorch's
// `pin_memory`; they are a password as the whole key or next to one of these (`db_pass`, `user_pin`).
const PASS_QUALIFIERS = new Set([
  'user', 'username', 'db', 'database', 'admin', 'root', 'login', 'account', 'sql', 'mysql', 'postgres', 'pg',
  'redis', 'mongo', 'smtp', 'ftp', 'sftp', 'mail', 'email', 'ldap', 'vpn', 'wifi', 'sudo', 'ssh', 'basic', 'http',
  'keystore', 'truststore', 'cert', 'word', 'phrase', 'code', 'sim', 'card',
]);
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
  if (w.length > 1 && LOCATION_WORDS.has(w[w.length - 1]!)) return false;
  const has = (set: Set<string>, except: number) => w.some((x, j) => j !== except && set.has(x));
  return w.some((word, i) => {
    if (SECRET_WORDS.has(word)) return true;
    if (SECRET_ROOTS.some((r) => word.includes(r))) return true;
    if (context === 'query' && QUERY_SECRET_WORDS.has(word)) return true;
    const before = w[i - 1] ?? '';
    // `secret` (`client_secret`, `mysecret`) unless it is counted (`secret_sharing_rounds`).
    if (word.includes('secret')) return !has(MEASURE_WORDS, i);
    // `pw` is a password (`user_pw`) unless it sizes a pointwise layer (`pw_kernel_size`).
    if (word === 'pw') return !has(MEASURE_WORDS, i) && !w.some((x) => x === 'conv' || x === 'kernel');
    // `pass`, `pin` (`pin_memory`): a password as the whole key or beside a qualifier.
    if (word === 'pass' || word === 'pin') return w.length === 1 || has(PASS_QUALIFIERS, i);
    if (word === 'key') {
      if (KEY_QUALIFIERS.has(before)) return true;
      return i > 0 && w.slice(i + 1).every((x) => KEY_SUFFIX.test(x)) && !has(KEY_ML_WORDS, i);
    }
    if (word === 'keys') return KEY_QUALIFIERS.has(before);
    if (word === 'token') return TOKEN_QUALIFIERS.has(before) || !has(TEXT_TOKEN_WORDS, i);
    if (word === 'tokens') return TOKEN_QUALIFIERS.has(before) && !has(MEASURE_WORDS, i);
    return false;
  });
}

/** A secret option name (`--password`, `-token`), not its negation (`--no-password`). */
function isSecretOption(name: string): boolean {
  return keyWords(name)[0] !== 'no' && isSecretKey(name);
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
// A line that is a header or a YAML-ish pair: `Authorization: Basic …`, `password: x`.
const HEADER_RE = /^([ \t]*)([A-Za-z][\w-]*)([ \t]*:[ \t]*)(\S.*)$/gm;
// A value that holds no secret: nothing, already redacted, or a shell variable (`$HF_TOKEN`).
const NO_SECRET_RE = /^(?:|\[redacted\]|\$\w+|\$\{\w+\})$/;

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

/** A word of a shell-ish string: where it stands and its text without quotes. */
interface ShellWord {
  start: number;
  end: number;
  text: string;
  /** A command separator (`;`, `&&`, `|`, newline, parenthesis) stands between it and the word before. */
  afterSeparator: boolean;
}

const SEPARATORS = ';&|()\n';

/**
 * Split a string as a shell would, roughly: whitespace and separators end words, quotes group
 * (an unclosed quote is an ordinary character, as in prose: `don't`), a backslash escapes.
 */
function shellWords(s: string): ShellWord[] {
  const words: ShellWord[] = [];
  let i = 0;
  let separated = false;
  while (i < s.length) {
    const c = s[i]!;
    if (SEPARATORS.includes(c)) {
      separated = true;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    let text = '';
    while (i < s.length && !SEPARATORS.includes(s[i]!) && !/\s/.test(s[i]!)) {
      const d = s[i]!;
      if (d === '\\' && i + 1 < s.length) {
        text += s[i + 1];
        i += 2;
        continue;
      }
      const close = d === '"' || d === "'" ? s.indexOf(d, i + 1) : -1;
      if (close > 0) {
        text += s.slice(i + 1, close);
        i = close + 1;
        continue;
      }
      text += d;
      i++;
    }
    words.push({ start, end: i, text, afterSeparator: separated });
    separated = false;
  }
  return words;
}

/**
 * Inside one string (a `sh -c` script, a message): the values of secret options
 * (`--password X`, `--api_key=X`, `-token X`) and secret assignments (`export HF_TOKEN="x"`),
 * quotes included, become `[redacted]`.
 */
function redactShellWords(s: string, hits: string[]): string {
  const spans: { start: number; end: number; with: string }[] = [];
  const words = shellWords(s);
  words.forEach((word, i) => {
    const raw = s.slice(word.start, word.end);
    const eq = word.text.indexOf('=');
    const pair = eq > 0 ? /^([-+~]*)([A-Za-z_][\w.-]*)$/.exec(word.text.slice(0, eq)) : null;
    if (pair) {
      const [name, value] = [word.text.slice(0, eq), word.text.slice(eq + 1)];
      if (NO_SECRET_RE.test(value) || !(pair[1] ? isSecretOption(pair[2]!) : isSecretKey(pair[2]!))) return;
      // `NAME="a b"` keeps `NAME=`; a word quoted whole (`"NAME=x"`) is rewritten whole.
      if (raw.startsWith(`${name}=`)) spans.push({ start: word.start + name.length + 1, end: word.end, with: REDACTED });
      else spans.push({ start: word.start, end: word.end, with: `${name}=${REDACTED}` });
      hits.push(`the value of ${name}`);
      return;
    }
    const opt = /^--?([A-Za-z][\w.-]+)$/.exec(word.text);
    const next = words[i + 1];
    if (!opt || !next || next.afterSeparator || next.text.startsWith('--') || NO_SECRET_RE.test(next.text) || !isSecretOption(opt[1]!)) return;
    spans.push({ start: next.start, end: next.end, with: REDACTED });
    hits.push(`the value of ${word.text}`);
  });
  let out = s;
  for (const span of spans.reverse()) out = out.slice(0, span.start) + span.with + out.slice(span.end);
  return out;
}

/** Every rule for text, in order; `hits` gets one phrase per redaction. */
function scan(s: string, hits: string[]): string {
  let out = s.replace(URL_RE, (u) => {
    const r = urlWithoutSecrets(u);
    if (r === undefined) return u;
    hits.push('credentials in a URL');
    return r;
  });
  for (const re of SECRET_VALUE_PATTERNS) {
    out = out.replace(re, () => {
      hits.push('a credential-shaped value');
      return REDACTED;
    });
  }
  out = redactShellWords(out, hits);
  // Pairs the shell split does not reach: `Server=db;Pwd=x` inside quotes, `a=1,token=x`.
  out = out.replace(PAIR_RE, (all, sep: string, dashes: string, name: string, value: string) => {
    if (NO_SECRET_RE.test(value) || !isSecretKey(name, sep === '?' || sep === '&' ? 'query' : 'key')) return all;
    hits.push(`the value of ${dashes}${name}`);
    return `${sep}${dashes}${name}=${REDACTED}`;
  });
  out = out.replace(HEADER_RE, (all, indent: string, name: string, colon: string, value: string) => {
    if (value === REDACTED || value.startsWith('//') || !isSecretKey(name)) return all;
    hits.push(`the value of ${name}`);
    return `${indent}${name}${colon}${REDACTED}`;
  });
  return out;
}

/** A string with everything that looks like a credential replaced, or undefined when nothing does. */
export function redactString(s: string): string | undefined {
  const out = scan(s, []);
  return out === s ? undefined : out;
}

/**
 * Free text (a record's message) fit for a record: credential-shaped values, URL credentials,
 * `name=secret` pieces, `--secret-option value`, `Header: value` lines redacted. `hits` has
 * one phrase per redaction, to follow "redacted " in a warning: `the value of --password`,
 * `the value of HF_TOKEN`, `a credential-shaped value`, `credentials in a URL`.
 */
export function redactText(s: string): { text: string; hits: string[] } {
  const hits: string[] = [];
  const text = scan(s, hits);
  return { text, hits: text === s ? [] : hits };
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
 * credentials in URLs are replaced by `[redacted]`; option names are kept. Each argument
 * is also read as a shell string, so `sh -c './t.sh --password X; export HF_TOKEN=Y'` loses
 * both values. `hits` names the redacted arguments as `command[i]`. Short options (`-p X`)
 * are left alone: a letter says nothing about its meaning, but the value tests still apply.
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
    if (opt && next !== undefined && next !== '' && next !== REDACTED && !next.startsWith('--') && isSecretOption(opt[1]!)) {
      out[i + 1] = REDACTED;
      hit.add(i + 1);
      i++;
    }
  }
  return { argv: out, hits: [...hit].sort((a, b) => a - b).map((i) => `command[${i}]`) };
}

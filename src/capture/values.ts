// Params and metrics from the command line (`k=v`) and from files (YAML or JSON
// mappings; DVC's params.yaml and metrics.json work as they are).
import * as fs from 'node:fs';
import { MlmetaError, ioError } from '../errors.js';
import { decodeUtf8, parseYaml, type Json } from '../records/yaml.js';

export type Mapping = { [k: string]: Json };

const MAX_FILE = 4 * 1024 * 1024;

function isMapping(v: unknown): v is Mapping {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Keys that reach into JavaScript's object machinery: `--param __proto__.author=x` once
// walked into Object.prototype and rewrote every record's author. Refused wherever params
// and metrics enter (flags, files, merges), rather than guessed at.
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function unsafeKey(key: string, what: string, where: string): MlmetaError {
  return new MlmetaError('E_BAD_INPUT', `${what} key ${JSON.stringify(where)}: ${JSON.stringify(key)} is not allowed as a key`);
}

/** Refuse `__proto__`, `constructor` and `prototype` as keys anywhere in a value (lists included). */
export function refuseUnsafeKeys(value: Json, what: string, prefix = ''): void {
  if (Array.isArray(value)) value.forEach((v, i) => refuseUnsafeKeys(v, what, `${prefix}[${i}]`));
  else if (isMapping(value)) {
    for (const k of Object.keys(value)) {
      const where = prefix ? `${prefix}.${k}` : k;
      if (UNSAFE_KEYS.has(k)) throw unsafeKey(k, what, where);
      refuseUnsafeKeys(value[k]!, what, where);
    }
  }
}

/** Read a params/metrics file: must be a YAML or JSON mapping. */
export function readMappingFile(file: string, what: string): Mapping {
  let bytes: Buffer;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new MlmetaError('E_BAD_INPUT', `${what} file ${file} is not a file`);
    if (st.size > MAX_FILE) throw new MlmetaError('E_BAD_INPUT', `${what} file ${file} is larger than ${MAX_FILE} bytes`);
    bytes = fs.readFileSync(file);
  } catch (e) {
    if (e instanceof MlmetaError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new MlmetaError('E_NOT_FOUND', `${what} file not found: ${file}`);
    throw ioError(e, `cannot read ${what} file ${file}`);
  }
  const data = parseYaml(decodeUtf8(bytes, `${what} file ${file}`), `${what} file ${file}`);
  if (!isMapping(data)) throw new MlmetaError('E_BAD_INPUT', `${what} file ${file} is not a mapping (key: value pairs)`);
  refuseUnsafeKeys(data, `${what} file ${file}:`);
  return data;
}

/** Split `key=value`; dotted keys nest (`opt.lr=0.1` → {opt: {lr: 0.1}}). */
function splitPair(pair: string, what: string): { path: string[]; raw: string } {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new MlmetaError('E_BAD_INPUT', `${what} ${JSON.stringify(pair)} is not key=value`);
  const key = pair.slice(0, eq);
  const path = key.split('.');
  if (path.some((p) => p === '' || /[\u0000-\u001f]/.test(p))) throw new MlmetaError('E_BAD_INPUT', `bad ${what} key ${JSON.stringify(key)}`);
  const unsafe = path.find((p) => UNSAFE_KEYS.has(p));
  if (unsafe !== undefined) throw unsafeKey(unsafe, what, key);
  return { path, raw: pair.slice(eq + 1) };
}

function setPath(target: Mapping, path: string[], value: Json, what: string): void {
  let node = target;
  for (const seg of path.slice(0, -1)) {
    // Own keys only: `toString.x=1` is an ordinary nested param, not Object.prototype's method.
    const next = Object.hasOwn(node, seg) ? node[seg] : undefined;
    if (next === undefined) node = node[seg] = {};
    else if (isMapping(next)) node = next;
    else throw new MlmetaError('E_BAD_INPUT', `${what} ${path.join('.')} conflicts with ${seg}`);
  }
  node[path[path.length - 1]!] = value;
}

/** A command-line value typed like a YAML scalar: `0.1` → number, `true` → boolean, else string. */
export function scalarValue(raw: string): Json {
  if (raw === '') return '';
  try {
    const v = parseYaml(raw, 'value');
    if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  } catch {
    /* not a scalar: keep the text */
  }
  return raw;
}

export function parseParamPairs(pairs: string[], into: Mapping = {}): Mapping {
  for (const pair of pairs) {
    const { path, raw } = splitPair(pair, 'param');
    setPath(into, path, scalarValue(raw), 'param');
  }
  return into;
}

export function parseMetricPairs(pairs: string[], into: Mapping = {}): Mapping {
  for (const pair of pairs) {
    const { path, raw } = splitPair(pair, 'metric');
    const v = scalarValue(raw.trim());
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new MlmetaError('E_BAD_INPUT', `metric ${path.join('.')}=${JSON.stringify(raw)} is not a finite number`);
    }
    setPath(into, path, v, 'metric');
  }
  return into;
}

/** Deep-merge b over a (flags over files). Library callers' mappings are checked like files. */
export function mergeMappings(a: Mapping, b: Mapping): Mapping {
  refuseUnsafeKeys(a, 'params/metrics');
  refuseUnsafeKeys(b, 'params/metrics');
  return merge(a, b);
}

function merge(a: Mapping, b: Mapping): Mapping {
  const out: Mapping = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = Object.hasOwn(out, k) ? out[k] : undefined;
    out[k] = isMapping(prev) && isMapping(v) ? merge(prev, v) : v;
  }
  return out;
}

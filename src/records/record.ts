// The record model (DESIGN §2): kinds, fields, and validation of records read from or
// written to the store. Unknown fields are kept as they are.
import { MlmetaError } from '../errors.js';
import { decodeUtf8, parseYaml, type Json } from './yaml.js';

export const FORMAT_VERSION = 1;
/** Kinds that are not versions of anything. */
export const UNVERSIONED_KINDS = new Set(['manifest', 'series', 'alias', 'eval', 'signature', 'reproduction']);
/**
 * Kinds that are pure content (no `created`): equal content gives one object. A manifest is a
 * file list; a series is one metric's points (records/history.ts).
 */
export const CONTENT_KINDS = new Set(['manifest', 'series']);
export const KIND_RE = /^[a-z][a-z0-9-]*$/;
export const ROLE_RE = /^[a-z][a-z0-9_-]*$/;
export const ID_RE = /^[0-9a-f]{64}$/;

export interface Parent {
  role: string;
  id: string;
}

export interface CodeState {
  commit?: string;
  branch?: string | null;
  dirty?: boolean;
  remote?: string | null;
}

export interface Artifact {
  path: string;
  sha256: string;
  size: number;
}

export interface RecordBody {
  mlmeta: number;
  kind: string;
  name?: string;
  version?: number;
  /** absent only on manifests */
  created: string;
  author?: string;
  parents?: Parent[];
  code?: CodeState;
  params?: { [k: string]: Json };
  metrics?: { [k: string]: Json };
  artifacts?: Artifact[];
  message?: string;
  [field: string]: unknown;
}

export function isVersioned(kind: string): boolean {
  return !UNVERSIONED_KINDS.has(kind);
}

export function checkKind(kind: string): void {
  if (!KIND_RE.test(kind) || kind.length > 64) {
    throw new MlmetaError('E_BAD_INPUT', `bad kind ${JSON.stringify(kind)}: use lower-case letters, digits and '-', starting with a letter`);
  }
}

export const ALIAS_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export function checkAlias(alias: string): void {
  if (!ALIAS_RE.test(alias)) {
    throw new MlmetaError('E_BAD_INPUT', `bad alias ${JSON.stringify(alias)}: a letter, then letters, digits, '_', '.' or '-'`);
  }
}

/** Control characters (C0, DEL, C1), bidi controls and line separators: see render/safe.ts. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * Names are labels, never paths on disk, but they travel in refs (`NAME@N`), shells and
 * terminals: printable, no '@', no leading '-' or '/', no '..' segment, at most 200 characters.
 */
export function checkName(name: string): void {
  const bad =
    name.length === 0 ||
    name.length > 200 ||
    name !== name.trim() ||
    name.includes('@') ||
    UNPRINTABLE.test(name) ||
    name.startsWith('-') ||
    name.startsWith('/') ||
    name.split('/').some((seg) => seg === '..' || seg === '.' || seg === '');
  if (bad) {
    throw new MlmetaError('E_BAD_INPUT', `bad name ${JSON.stringify(name)}: printable, without '@', '..' segments or a leading '-' or '/', at most 200 characters`);
  }
}

function isMapping(v: unknown): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Metrics are numbers, or mappings of them (E_BAD_INPUT naming the first that is not). */
export function checkNumbers(v: Json, where: string): void {
  if (typeof v === 'number') return;
  if (isMapping(v)) {
    for (const [k, x] of Object.entries(v)) checkNumbers(x, `${where}.${k}`);
    return;
  }
  throw new MlmetaError('E_BAD_INPUT', `metric ${where} is not a number`);
}

/** Validate a record's shape. Throws E_CORRUPT_OBJECT (for stored objects) or E_BAD_INPUT. */
export function validateRecord(v: unknown, code: 'E_CORRUPT_OBJECT' | 'E_BAD_INPUT', what: string): RecordBody {
  const fail = (msg: string): never => {
    throw new MlmetaError(code, `${what} is not a valid record: ${msg}`);
  };
  if (!isMapping(v)) return fail('not a mapping');
  if (v.mlmeta !== FORMAT_VERSION) fail(`mlmeta format ${JSON.stringify(v.mlmeta)} is not ${FORMAT_VERSION}`);
  if (typeof v.kind !== 'string' || !KIND_RE.test(v.kind)) fail(`bad kind ${JSON.stringify(v.kind)}`);
  const kind = v.kind as string;
  // A manifest is pure content (a file list), so equal data gives one manifest object.
  if (typeof v.created !== 'string' && !(CONTENT_KINDS.has(kind) && v.created === undefined)) fail('created is not a timestamp string');
  if (v.name !== undefined && typeof v.name !== 'string') fail('name is not a string');
  if (isVersioned(kind)) {
    if (typeof v.name !== 'string') fail(`a ${kind} record needs a name`);
    if (typeof v.version !== 'number' || !Number.isInteger(v.version) || v.version < 1) fail('version is not a positive integer');
  }
  if (v.parents !== undefined) {
    if (!Array.isArray(v.parents)) fail('parents is not a list');
    for (const p of v.parents as Json[]) {
      if (!isMapping(p) || typeof p.role !== 'string' || typeof p.id !== 'string' || !ID_RE.test(p.id)) {
        fail('each parent needs a role and a full 64-hex id');
      }
    }
  }
  for (const field of ['params', 'metrics', 'code'] as const) {
    if (v[field] !== undefined && !isMapping(v[field])) fail(`${field} is not a mapping`);
  }
  if (v.metrics !== undefined) {
    try {
      checkNumbers(v.metrics, 'metrics');
    } catch (e) {
      fail((e as Error).message);
    }
  }
  if (v.artifacts !== undefined) {
    if (!Array.isArray(v.artifacts)) fail('artifacts is not a list');
    for (const a of v.artifacts as Json[]) {
      if (!isMapping(a) || typeof a.path !== 'string' || typeof a.sha256 !== 'string' || typeof a.size !== 'number') {
        fail('each artifact needs path, sha256 and size');
      }
    }
  }
  if (kind === 'alias') {
    if (typeof v.alias !== 'string' || typeof v.name !== 'string') fail('an alias record needs alias and name');
    if (v.target !== null && (typeof v.target !== 'string' || !ID_RE.test(v.target))) fail('alias target is not a full id or null');
  }
  checkLabels(v as unknown as RecordBody, code, what);
  return v as unknown as RecordBody;
}

/**
 * The rules for names, kinds, roles and alias names hold for records read as much as for
 * records written: a record planted or pulled with a name like "x\e]0;…\n" would otherwise
 * reach terminals, refs and the index's `kind\0name` keys. Such a record is malformed, like
 * a corrupt object; `verify` reports it as BAD_NAME (the error's data.finding).
 */
function checkLabels(r: RecordBody, code: 'E_CORRUPT_OBJECT' | 'E_BAD_INPUT', what: string): void {
  try {
    checkKind(r.kind);
    if (r.name !== undefined) checkName(r.name);
    for (const p of r.parents ?? []) {
      if (!ROLE_RE.test(p.role) || p.role.length > 64) throw new MlmetaError('E_BAD_INPUT', `bad parent role ${JSON.stringify(p.role)}`);
    }
    if (r.kind === 'alias') checkAlias(String(r.alias));
  } catch (e) {
    if (!(e instanceof MlmetaError)) throw e;
    throw new MlmetaError(code, `${what} is not a valid record: ${e.message}`, { finding: 'BAD_NAME' });
  }
}

/** Parse stored bytes into a record (the hash has been checked by the caller). */
export function parseRecordBytes(bytes: Uint8Array, id: string): RecordBody {
  const what = `object ${id}`;
  let data: Json;
  try {
    data = parseYaml(decodeUtf8(bytes, what), what);
  } catch (e) {
    throw new MlmetaError('E_CORRUPT_OBJECT', (e as Error).message, { id });
  }
  return validateRecord(data, 'E_CORRUPT_OBJECT', what);
}

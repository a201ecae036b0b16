// Ref syntax (DESIGN §3): a full id, a hex prefix of 4+ digits, NAME, NAME@N or NAME@ALIAS.
// Parsing is pure; resolution against the store lives in src/graph/resolve.ts.
import { MlmetaError } from '../errors.js';
import { ALIAS_RE, checkAlias, checkName } from './record.js';

export type ParsedRef =
  | { type: 'id'; id: string }
  /** hex-looking text: a prefix, but possibly also a name (e.g. "cafe") */
  | { type: 'prefix'; prefix: string; alsoName: boolean }
  | { type: 'name'; name: string }
  | { type: 'version'; name: string; version: number }
  | { type: 'alias'; name: string; alias: string };

export { ALIAS_RE, checkAlias };

function asBadRef<T>(ref: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MlmetaError) throw new MlmetaError('E_BAD_REF', `bad ref ${JSON.stringify(ref)}: ${e.message.replace(/^bad \w+ "[^"]*": /, '')}`);
    throw e;
  }
}

export function parseRef(ref: string): ParsedRef {
  if (/^[0-9a-f]{64}$/.test(ref)) return { type: 'id', id: ref };
  if (/^[0-9a-f]{4,63}$/.test(ref)) {
    let alsoName = true;
    try { checkName(ref); } catch { alsoName = false; }
    return { type: 'prefix', prefix: ref, alsoName };
  }
  const at = ref.lastIndexOf('@');
  if (at < 0) {
    asBadRef(ref, () => checkName(ref));
    return { type: 'name', name: ref };
  }
  const name = ref.slice(0, at);
  const sel = ref.slice(at + 1);
  asBadRef(ref, () => checkName(name));
  if (/^[0-9]+$/.test(sel)) {
    const version = Number(sel);
    if (!Number.isSafeInteger(version) || version < 1) throw new MlmetaError('E_BAD_REF', `bad ref ${JSON.stringify(ref)}: versions start at 1`);
    return { type: 'version', name, version };
  }
  asBadRef(ref, () => checkAlias(sel));
  return { type: 'alias', name, alias: sel };
}

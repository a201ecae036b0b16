// Small helpers every importer shares: names fit for refs, times from the source, and
// secret redaction with a warning per value (as `record` and `run` do).
import { checkName } from '../records/record.js';
import { redactSecrets, redactText } from '../records/secrets.js';
import type { Json } from '../records/yaml.js';

/**
 * A foreign name as an mlmeta line name: MLflow allows names mlmeta refuses (Databricks'
 * `/Users/me/exp`, '@', control characters). Unprintable characters go, '@' becomes '_',
 * empty and dot segments and leading '/' or '-' are dropped; `fallback` if nothing is left.
 */
export function safeName(raw: string, fallback: string): string {
  let s = raw.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '').replace(/@/g, '_');
  s = s.split('/').map((seg) => seg.trim()).filter((seg) => seg !== '' && seg !== '.' && seg !== '..').join('/');
  s = s.replace(/^[-/]+/, '').slice(0, 200).trim();
  try {
    checkName(s);
    return s;
  } catch {
    return fallback;
  }
}

/** ms since the epoch as the ISO text records carry. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Redact secret-looking values in a mapping (in place); one warning per value. */
export function redactInto(value: { [k: string]: Json }, what: string, warnings: string[]): void {
  for (const hit of redactSecrets(value)) warnings.push(`${what} ${hit} looks like a secret; its value was not recorded`);
}

export function redactField(text: string, what: string, warnings: string[]): string {
  const r = redactText(text);
  for (const h of r.hits) warnings.push(`${what}: redacted ${h}; it was not recorded`);
  return r.text;
}

/** Drop undefined fields (records keep no empty values). */
export function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)) delete o[k];
  }
  return o;
}

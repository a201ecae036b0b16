// Credentials never go into records. Keys that name a secret (a whole segment of the key
// equal to one of SECRET_WORDS, so `max_tokens` is fine and `api_key` is not) have their
// values replaced by REDACTED, and the caller is warned.
import type { Json } from './yaml.js';

export const REDACTED = '[redacted]';
const SECRET_WORDS = new Set(['password', 'passwd', 'pwd', 'secret', 'token', 'apikey', 'credential', 'credentials', 'auth', 'bearer', 'privatekey']);

export function isSecretKey(key: string): boolean {
  const segs = key.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  for (let i = 0; i < segs.length; i++) {
    if (SECRET_WORDS.has(segs[i]!)) return true;
    const pair = segs[i]! + (segs[i + 1] ?? '');
    if (pair === 'apikey' || pair === 'privatekey' || pair === 'accesskey' || pair === 'secretkey') return true;
  }
  return false;
}

/** Redact secret-looking keys at any depth; returns the dotted paths that were redacted. */
export function redactSecrets(value: { [k: string]: Json }, prefix = ''): string[] {
  const hits: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const where = prefix ? `${prefix}.${k}` : k;
    if (isSecretKey(k) && v !== null && typeof v !== 'object') {
      value[k] = REDACTED;
      hits.push(where);
    } else if (v && typeof v === 'object' && !Array.isArray(v)) {
      hits.push(...redactSecrets(v, where));
    }
  }
  return hits;
}

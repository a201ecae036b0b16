// A manifest's canonical bytes, written directly: the generic writer (normalise + js-yaml's
// dump, which tests every scalar against its style regexes) spends ~1.2 s and most of a
// 100k-file record's garbage on a list whose entries all have the same shape.
//
// Only entries whose every scalar is certainly written plain by js-yaml are written here;
// any other entry (an escaped path, a path without '/', a character outside the safe set, an
// odd size) is written by canonicalYaml itself, nested exactly as in the manifest, so the
// bytes are always the generic writer's (pinned against it in test/capture/manifest.test.ts).
import type { RecordBody } from '../records/record.js';
import { canonicalYaml } from '../records/yaml.js';
import type { FileEntry } from './data-files.js';

/**
 * A path js-yaml writes plain: letters, digits and `_ . / -` only, starting with a letter,
 * digit, `_` or `/` (an absolute path: data outside the project), and holding a '/' — no
 * int, float, bool, null or date of any YAML version has one, so it cannot be quoted as a
 * look-alike.
 */
const PLAIN_PATH = /^[A-Za-z0-9_/][A-Za-z0-9_./-]*$/;
/** 64 lower-case hex digits with a letter other than e: not an int or float (`123e45`). */
const PLAIN_HEX = /^(?=.*[abcdf])[0-9a-f]{64}$/;

function isPlain(f: FileEntry): boolean {
  return !f.escaped && PLAIN_PATH.test(f.path) && f.path.includes('/') && PLAIN_HEX.test(f.sha256) && Number.isSafeInteger(f.size) && f.size >= 0;
}

/** A plain entry's bytes apart from its path, hash and size: `  - path: `, `\n    sha256: `, `\n    size: `, `\n`. */
const PLAIN_FIXED = 10 + 13 + 11 + 1;

/**
 * The bytes canonicalYaml gives for `{mlmeta: 1, kind: 'manifest', digest, files}`, written
 * straight into one buffer of the exact length (100k entries as strings, joined, then encoded,
 * cost ~0.4 s more here: a 12 MB string built and copied twice).
 */
export function manifestBytes(digest: string, files: FileEntry[]): Buffer {
  const head = canonicalYaml({ mlmeta: 1, kind: 'manifest', digest, files: [] });
  if (files.length === 0) return Buffer.from(head, 'utf8');
  const at = head.indexOf('\nfiles: []\n') + 1;
  if (at === 0) throw new Error('manifest head without its file list'); // canonicalYaml changed shape
  const before = `${head.slice(0, at)}files:\n`;
  const after = head.slice(at + 'files: []\n'.length);
  // an entry that is not certainly plain: canonicalYaml's text, `files:` as its only key so
  // that it is nested as in the manifest
  const other = new Map<number, string>();
  let total = Buffer.byteLength(before) + Buffer.byteLength(after);
  files.forEach((f, k) => {
    if (isPlain(f)) total += PLAIN_FIXED + f.path.length + f.sha256.length + String(f.size).length;
    else {
      const text = canonicalYaml({ files: [f] }).slice('files:\n'.length);
      other.set(k, text);
      total += Buffer.byteLength(text);
    }
  });
  const out = Buffer.allocUnsafe(total);
  let o = out.write(before, 0, 'utf8');
  files.forEach((f, k) => {
    const text = other.get(k);
    if (text !== undefined) {
      o += out.write(text, o, 'utf8');
      return;
    }
    // ASCII only (PLAIN_PATH, PLAIN_HEX, digits): one byte per character
    o += out.write('  - path: ', o, 'latin1');
    o += out.write(f.path, o, 'latin1');
    o += out.write('\n    sha256: ', o, 'latin1');
    o += out.write(f.sha256, o, 'latin1');
    o += out.write('\n    size: ', o, 'latin1');
    o += out.write(String(f.size), o, 'latin1');
    out[o++] = 0x0a;
  });
  o += out.write(after, o, 'utf8');
  if (o !== total) throw new Error('manifest bytes of the wrong length'); // never hand out unwritten memory
  return out;
}

/** The body those bytes parse to (what the index needs, without parsing 100k entries back). */
export function manifestBody(data: { digest: string; files: FileEntry[] }): RecordBody {
  return { mlmeta: 1, kind: 'manifest', digest: data.digest, files: data.files } as unknown as RecordBody;
}

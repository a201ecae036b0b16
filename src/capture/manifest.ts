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

function entryText(f: FileEntry): string | undefined {
  if (f.escaped || !PLAIN_PATH.test(f.path) || !f.path.includes('/') || !PLAIN_HEX.test(f.sha256) || !Number.isSafeInteger(f.size) || f.size < 0) return undefined;
  return `  - path: ${f.path}\n    sha256: ${f.sha256}\n    size: ${f.size}\n`;
}

/** The bytes canonicalYaml gives for `{mlmeta: 1, kind: 'manifest', digest, files}`. */
export function manifestYaml(digest: string, files: FileEntry[]): string {
  const head = canonicalYaml({ mlmeta: 1, kind: 'manifest', digest, files: [] });
  if (files.length === 0) return head;
  const parts: string[] = [];
  for (const f of files) {
    // `files:` as the only key, so the entry's text is nested as in the manifest.
    parts.push(entryText(f) ?? canonicalYaml({ files: [f] }).slice('files:\n'.length));
  }
  const at = head.indexOf('\nfiles: []\n') + 1;
  if (at === 0) throw new Error('manifest head without its file list'); // canonicalYaml changed shape
  return `${head.slice(0, at)}files:\n${parts.join('')}${head.slice(at + 'files: []\n'.length)}`;
}

/** The body those bytes parse to (what the index needs, without parsing 100k entries back). */
export function manifestBody(data: { digest: string; files: FileEntry[] }): RecordBody {
  return { mlmeta: 1, kind: 'manifest', digest: data.digest, files: data.files } as unknown as RecordBody;
}

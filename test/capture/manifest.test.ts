// The manifest writer (src/capture/manifest.ts) gives the generic canonical writer's bytes
// exactly, for plain file lists and for every awkward path, hash and size; and the CLI's
// manifest of a real awkward folder parses back to its file list.
import { describe, expect, it } from 'vitest';
import { escapePath, type FileEntry } from '../../src/capture/data-files.js';
import { manifestBytes } from '../../src/capture/manifest.js';

const manifestYaml = (digest: string, files: FileEntry[]) => manifestBytes(digest, files).toString('utf8');
import { canonicalYaml, parseYaml } from '../../src/records/yaml.js';

const generic = (digest: string, files: FileEntry[]) => canonicalYaml({ mlmeta: 1, kind: 'manifest', digest, files });
const hex = (i: number) => i.toString(16).padStart(8, '0').repeat(8);

const AWKWARD = [
  'a.csv', 'data/x.csv', 'data/sub dir/x.csv', 'data/#x', 'data/x #y', 'data/a: b', 'data/-x', '-x/y', './x/y', '../x/y',
  '.hidden/x', 'x/.hidden', 'data/ünï ✓', 'data/\u2028x', 'data/tab\there', 'data/new\nline', 'data/cr\rx', 'data/trailing ',
  ' lead/x', 'data/"q"', "data/'q'", 'data/back\\slash', 'yes/no', 'yes', 'no', 'on', 'null', '~', 'true', 'false', 'Y', 'n',
  '123', '1.5', '1e5', '0x1F', '0o17', '1_000', '.inf', '.nan', '2024-01-01', '2024-01-01T10:00:00Z', '12:30:45', '<<', '=',
  'data/[x]', 'data/{x}', 'data/x,y', 'data/&x', 'data/*x', 'data/!x', 'data/%x', 'data/@x', 'data/`x', 'data/|x', 'data/>x',
  'data/?x', '?x/y', 'data/x?', 'data/\u{1F600}', 'data/\uE000', 'data/\uFEFFbom', 'data/\u0085nel', 'a/b/c/d/e/f.g',
  'x'.repeat(300) + '/y', 'data/\u007f', 'data/\u0001ctl', 'data/a  b', '0/1', '1/2', '_/x', 'Data/X_Y-Z.tar.gz',
  '/abs/x.csv', '/', '//x', '/-x', '/.x', '/1', '/1.5', '/tmp/a b', '/tmp/a:b', '/tmp/#x', '/tmp/x/', '/tmp/ünï',
];

describe('the manifest writer', () => {
  it('gives canonicalYaml\'s bytes for awkward paths, hashes that look like numbers, and odd sizes', () => {
    const files: FileEntry[] = AWKWARD.map((p, i) => ({ path: p, sha256: hex(i + 0xabc), size: i * 1000 }));
    // hashes js-yaml could read as numbers, and a plain one
    files.push({ path: 'h/digits', sha256: '1'.repeat(64), size: 1 });
    files.push({ path: 'h/float', sha256: `1e${'2'.repeat(62)}`, size: 2 });
    files.push({ path: 'h/zeros', sha256: '0'.repeat(64), size: 0 });
    files.push({ path: 'h/plain', sha256: 'f'.repeat(64), size: Number.MAX_SAFE_INTEGER });
    files.push({ path: 'h/huge', sha256: 'a'.repeat(64), size: 2 ** 60 });
    files.push({ path: escapePath(Buffer.from([0x64, 0x2f, 0xff, 0x5c])), sha256: hex(7), size: 3, escaped: true });
    for (const f of files) expect(manifestYaml('d'.repeat(64), [f])).toBe(generic('d'.repeat(64), [f]));
    expect(manifestYaml('d'.repeat(64), files)).toBe(generic('d'.repeat(64), files));
    expect(manifestYaml('0'.repeat(64), files)).toBe(generic('0'.repeat(64), files));
    expect(manifestYaml('d'.repeat(64), [])).toBe(generic('d'.repeat(64), []));
    // and reads back as the same list
    expect((parseYaml(manifestYaml('d'.repeat(64), files), 'm') as { files: unknown }).files).toEqual(files);
  });

  it('gives canonicalYaml\'s bytes for a large generated list of names', () => {
    const alphabet = ['a', 'Z', '0', '9', '_', '.', '/', '/', '-', ' ', ':', '#', 'e', '\\', "'", 'ü', '\n'];
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const files: FileEntry[] = Array.from({ length: 3000 }, (_, i) => {
      const len = 1 + rnd(9);
      let p = '';
      for (let k = 0; k < len; k++) p += alphabet[rnd(alphabet.length)];
      return { path: p, sha256: rnd(4) === 0 ? `${rnd(10)}`.repeat(64) : hex(i), size: rnd(1e6) };
    });
    expect(manifestYaml('c'.repeat(64), files)).toBe(generic('c'.repeat(64), files));
  });
});

// "Is this path inside that folder?" in one place: `path.relative` gives `..` or
// `../x` for a path outside, but `..data` is an ordinary name inside.
import * as path from 'node:path';

/** The path of `abs` relative to `root` when it is inside it (or is it: ''), else undefined. */
export function relativeInside(root: string, abs: string): string | undefined {
  const rel = path.relative(root, abs);
  if (rel === '') return '';
  if (path.isAbsolute(rel) || rel === '..' || rel.startsWith(`..${path.sep}`)) return undefined;
  return rel;
}

export function isInside(root: string, abs: string): boolean {
  return relativeInside(root, abs) !== undefined;
}

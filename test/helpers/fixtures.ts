// Copy a committed fixture store into a throw-away folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './dirs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');

export function fixture(name: string): { dir: string; ids: Record<string, string> } {
  const dir = tempDir(`mlmeta-fx-${name}-`);
  fs.cpSync(path.join(root, name), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}cache`) });
  return { dir, ids: JSON.parse(fs.readFileSync(path.join(dir, 'IDS.json'), 'utf8')) };
}

// Shared ground for the interop tests: the real fixture files, and stores to import into.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gitRepo, tempDir } from '../helpers/dirs.js';
import { ok } from '../helpers/cli.js';

export const FIXTURES = process.env.MLMETA_INTEROP_FIXTURES ?? path.resolve(__dirname, '../../fixtures/interop');
export const fixture = (...p: string[]) => path.join(FIXTURES, ...p);

/** A git repo with an initialised store. */
export function storeRepo(): string {
  const d = gitRepo();
  ok(d, ['init']);
  return d;
}

/** A writable copy of a fixture folder. */
export function copyFixture(...p: string[]): string {
  const d = tempDir('mlmeta-fixture-');
  fs.cpSync(fixture(...p), d, { recursive: true });
  return d;
}

export function json<T = any>(text: string): T {
  return JSON.parse(text) as T;
}

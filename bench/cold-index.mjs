// Time the first command on a cold index, in one process: deletes DIR/.mlmeta/cache, opens
// the store through the library bundle LIB (default: this checkout's dist/index.js) and
// answers `show deep@3` (a store from bench/generate.mjs). For A/B runs of two builds, run it
// under `/usr/bin/time -f "%e s %U u %S s %M KB"` with each build's dist/index.js in turn.
// Usage: node bench/cold-index.mjs DIR [LIB]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, lib = new URL('../dist/index.js', import.meta.url).pathname] = process.argv.slice(2);
if (!dir) throw new Error('usage: node bench/cold-index.mjs DIR [LIB]');
const { openStore } = await import(pathToFileURL(path.resolve(lib)).href);
fs.rmSync(path.join(dir, '.mlmeta', 'cache'), { recursive: true, force: true });
const t = performance.now();
const store = await openStore({ cwd: dir });
const shown = await store.show('deep@3');
console.log(`cold index: ${((performance.now() - t) / 1000).toFixed(2)} s (show deep@3 = ${shown.id.slice(0, 12)})`);

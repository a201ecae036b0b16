#!/usr/bin/env node
// Runs the bundled CLI (dist/cli.cjs, built by `npm run build`, which `npm install` runs via
// `prepare`) through V8's code cache, so that each call skips most of the parsing and compiling
// of the bundle. Each command word has its own cache (dist/cli-show.cache, …; `cli-other.cache`
// for help, --version and mistakes): V8 reads a whole cache at every start, and one holding every
// hot command's code is half as big again as `show`'s own. A cache from another Node version is
// rejected by V8, a damaged one by its checksum (below); either is rewritten; if it cannot be
// written, the CLI simply runs without it.
//
// This file is CommonJS (bin/package.json): an ES-module entry costs every call the ESM
// loader's set-up, and its `import from 'node:fs'` facade loads node's whole stream stack
// (~20–30 ms before the CLI's first line; docs/BENCH.md, issue 13).
'use strict';
const { createHash } = require('node:crypto');
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const dist = join(__dirname, '..', 'dist');
const file = join(dist, 'cli.cjs');
/** The command words (src/cli/main.ts COMMANDS; test/cli/startup.test.ts keeps the two lists equal). */
const WORDS = new Set(['init', 'record', 'run', 'show', 'cat', 'log', 'lineage', 'diff', 'find', 'alias', 'verify', 'status', 'push', 'pull', 'clone', 'demo', 'which', 'sign', 'audit', 'reproduce', 'attest', 'import', 'export', 'ui']);
/** The command word of these arguments, as src/cli/main.ts finds it (`--store` takes a value); help loads every command. */
function wordOf(argv) {
  const end = argv.indexOf('--');
  const own = end < 0 ? argv : argv.slice(0, end); // after `--`: the wrapped command's arguments
  if (own.includes('--help') || own.includes('-h')) return 'other';
  for (let i = 0; i < own.length; i++) {
    const a = own[i];
    if (a === '--store') i++;
    else if (!a.startsWith('-')) return WORDS.has(a) ? a : 'other';
  }
  return 'other';
}
const cacheFile = join(dist, `cli-${wordOf(process.argv.slice(2))}.cache`);
/**
 * The SHA-1 of the cache's bytes, kept in its last 20 bytes. V8 checks a cache's version,
 * flags and length but not its contents: damaged bytes of the right length (a bad disk block,
 * a file zero-filled by a crash) abort the process with "Fatal error … unreachable code".
 * (A check against damage, not tampering: whoever can write dist/ can change cli.cjs.) ~1 ms;
 * node:crypto is loaded here rather than by the store a moment later.
 */
const SUM = 20;
const checksum = (bytes) => createHash('sha1').update(bytes).digest();

/** The CLI through its code cache: its exports, and how to save the cache when there was none. */
function compiled() {
  let cachedData;
  try {
    const stored = readFileSync(cacheFile);
    const body = stored.subarray(0, stored.length - SUM);
    // a cache that does not match its checksum is not given to V8: as if there were none
    if (stored.length > SUM && checksum(body).equals(stored.subarray(stored.length - SUM))) cachedData = body;
  } catch {
    cachedData = undefined;
  }
  // latin1: the build makes the bundle pure ASCII (scripts/build.mjs), read so in one copy
  const script = new Script(Module.wrap(readFileSync(file, 'latin1')), { filename: file, cachedData });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dist);
  const save = () => {
    if (cachedData !== undefined && !script.cachedDataRejected) return;
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      const data = script.createCachedData();
      writeFileSync(tmp, Buffer.concat([data, checksum(data)]));
      renameSync(tmp, cacheFile);
    } catch {
      // read-only install: run without a cache
    }
  };
  return { cli: mod.exports, save };
}

// Under MLMETA_DEBUG=1 (stack traces shown) node loads the bundle itself, without a cache, so
// that the traces name the TypeScript sources through dist/cli.cjs.map (node maps the modules it
// loads, not vm scripts); the bundle's own names are minified.
const debug = process.env.MLMETA_DEBUG === '1';
if (debug) process.setSourceMapsEnabled(true);
const { cli, save } = debug ? { cli: require(file), save: () => {} } : compiled();

async function run() {
  process.exitCode = await cli.main(process.argv.slice(2));
  save();
}
run();

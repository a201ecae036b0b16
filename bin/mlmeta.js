#!/usr/bin/env node
// Runs the bundled CLI (dist/cli.cjs, built by `npm run build`, which `npm install` runs via
// `prepare`) through V8's code cache (dist/cli.cache), so that each call skips most of the
// parsing and compiling of the bundle. A cache from another Node version is rejected by V8,
// a damaged one by its checksum (below); either is rewritten; if it cannot be written, the
// CLI simply runs without it.
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
const cacheFile = join(dist, 'cli.cache');
/**
 * The SHA-1 of the cache's bytes, kept in its last 20 bytes. V8 checks a cache's version,
 * flags and length but not its contents: damaged bytes of the right length (a bad disk block,
 * a file zero-filled by a crash) abort the process with "Fatal error … unreachable code".
 * (A check against damage, not tampering: whoever can write dist/ can change cli.cjs.) ~1 ms;
 * node:crypto is loaded here rather than by the store a moment later.
 */
const SUM = 20;
const checksum = (bytes) => createHash('sha1').update(bytes).digest();

let cachedData;
try {
  const stored = readFileSync(cacheFile);
  const body = stored.subarray(0, stored.length - SUM);
  // a cache that does not match its checksum is not given to V8: as if there were none
  if (stored.length > SUM && checksum(body).equals(stored.subarray(stored.length - SUM))) cachedData = body;
} catch {
  cachedData = undefined;
}
const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dist);

async function run() {
  // The build's warm-up (scripts/build.mjs) runs the hot commands in one process first, so
  // that the cache written below holds the code of each, compiled. Only in the throw-away
  // folder the build names (never in a user's project, whatever the environment says).
  const warmUp = process.env.MLMETA_BUILD_WARMUP && process.env.MLMETA_BUILD_WARMUP === process.cwd() && /mlmeta-warmup-/.test(process.cwd()) ? [['init'], ['record', 'model', '--name', 'w', '--param', 'a=1'], ['record', 'model', '--name', 'w', '--code', 'none', '--env', 'none'], ['show', 'w'], ['find', '--kind', 'model'], ['log', 'w'], ['lineage', 'w'], ['run', '--', 'true']] : [];
  for (const argv of warmUp) await mod.exports.main(argv);
  process.exitCode = await mod.exports.main(process.argv.slice(2));
  if (cachedData === undefined || script.cachedDataRejected) {
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      const data = script.createCachedData();
      writeFileSync(tmp, Buffer.concat([data, checksum(data)]));
      renameSync(tmp, cacheFile);
    } catch {
      // read-only install: run without a cache
    }
  }
}
run();

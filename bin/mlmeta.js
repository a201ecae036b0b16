#!/usr/bin/env node
// Runs the bundled CLI (dist/cli.cjs, built by `npm run build`, which `npm install` runs via
// `prepare`) through V8's code cache (dist/cli.cache), so that each call skips most of the
// parsing and compiling of the bundle. A cache from another Node version (or a damaged one)
// is rejected by V8 and rewritten; if it cannot be written, the CLI simply runs without it.
//
// This file is CommonJS (bin/package.json): an ES-module entry costs every call the ESM
// loader's set-up, and its `import from 'node:fs'` facade loads node's whole stream stack
// (~20–30 ms before the CLI's first line; docs/BENCH.md, issue 13).
'use strict';
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const dist = join(__dirname, '..', 'dist');
const file = join(dist, 'cli.cjs');
const cacheFile = join(dist, 'cli.cache');
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
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
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      // read-only install: run without a cache
    }
  }
}
run();

#!/usr/bin/env node
// Runs the bundled CLI (dist/cli.cjs, built by `npm run build`, which `npm install` runs via
// `prepare`) through V8's code cache (dist/cli.cache), so that each call skips most of the
// parsing and compiling of the bundle. A cache from another Node version is rejected by V8
// and rewritten; if it cannot be written, the CLI simply runs without it.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const file = join(dist, 'cli.cjs');
const cacheFile = join(dist, 'cli.cache');
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new Script(Module.wrap(readFileSync(file, 'utf8')), {
  filename: file,
  cachedData,
});
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, createRequire(file), mod, file, dist);
// The build's warm-up (scripts/build.mjs) runs the hot commands in one process first, so
// that the cache written below holds the code of each, compiled. Only in the throw-away
// folder the build names (never in a user's project, whatever the environment says).
const warmUp = process.env.MLMETA_BUILD_WARMUP && process.env.MLMETA_BUILD_WARMUP === process.cwd() && /mlmeta-warmup-/.test(process.cwd()) ? [['init'], ['record', 'model', '--name', 'w', '--param', 'a=1'], ['record', 'model', '--name', 'w', '--code', 'none', '--env', 'none'], ['show', 'w'], ['find', '--kind', 'model'], ['log', 'w'], ['lineage', 'w'], ['run', '--', 'true']] : [];
for (const argv of warmUp) await mod.exports.main(argv);
const code = await mod.exports.main(process.argv.slice(2));
process.exitCode = code;
if (cachedData === undefined || script.cachedDataRejected) {
  try {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, cacheFile);
  } catch {
    // read-only install: run without a cache
  }
}

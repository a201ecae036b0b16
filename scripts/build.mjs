// Build:
// - dist/index.js: the library, ESM, bundled by esbuild (isomorphic-git, picomatch and better-sqlite3 are
//   required at run time by the commands that use them: src/lazy-deps.ts);
// - dist/cli.cjs: the CLI as one CommonJS file, which bin/mlmeta.js compiles with a V8 code
//   cache (dist/cli.cache, written by a warm-up run here) — every CLI call pays its start-up,
//   and this is what keeps `show` and `record` near a bare `node` start (docs/BENCH.md).
//   isomorphic-git, picomatch and better-sqlite3 (a native addon) stay external: required
//   only by the commands that use them;
// - dist/types: declarations from tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { index: 'src/index.ts' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  splitting: true,
  outdir: 'dist',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const cjs = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outExtension: { '.js': '.cjs' },
  outdir: 'dist',
  define: { 'import.meta.url': '__mlmetaImportMetaUrl', MLMETA_VERSION: JSON.stringify(version) },
  banner: { js: "const __mlmetaImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  logLevel: 'warning',
};
await build({ ...cjs, entryPoints: { cli: 'src/cli/main.ts' }, external: ['isomorphic-git', 'isomorphic-git/*', 'picomatch', 'better-sqlite3'] });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
// Warm-up: one parse-and-run (here a `show` that fails for want of a store) compiles the
// CLI and leaves the code cache next to it.
try {
  execFileSync(process.execPath, ['bin/mlmeta.js', 'show', '0000', '--store', 'dist/no-store-here'], { stdio: 'ignore' });
} catch {
  /* exits 1 by design */
}

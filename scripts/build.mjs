// Build: the library (dist/index.js) and the CLI (dist/cli.js) are bundled by esbuild so a
// CLI call loads one file instead of resolving hundreds of modules; isomorphic-git stays
// behind a dynamic import so commands that do not talk to a remote never load it. Type
// declarations come from tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  splitting: true,
  outdir: 'dist',
  sourcemap: true,
  legalComments: 'none',
  // Bundled CommonJS (fast-glob) needs a real `require`.
  banner: { js: "import { createRequire as __mlmetaCreateRequire } from 'node:module'; const require = __mlmetaCreateRequire(import.meta.url);" },
  logLevel: 'warning',
};
await build({ ...common, entryPoints: { index: 'src/index.ts', cli: 'src/cli/main.ts' } });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });

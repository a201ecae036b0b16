// Build:
// - dist/index.js: the library, ESM, bundled by esbuild (isomorphic-git, picomatch and better-sqlite3 are
//   required at run time by the commands that use them: src/lazy-deps.ts);
// - dist/cli.cjs: the CLI as one CommonJS file, which bin/mlmeta.js compiles with a V8 code
//   cache (dist/cli-WORD.cache, one per command, written by warm-up runs here) — every CLI call pays its start-up,
//   and this is what keeps `show` and `record` near a bare `node` start (docs/BENCH.md).
//   isomorphic-git and picomatch stay external: required only by the commands that use
//   them; better-sqlite3's JavaScript is bundled (its native addon is not; see below);
//   Each command's module is evaluated only when it runs (src/cli/main.ts); node:assert,
//   which yargs imports, is replaced by a two-function shim (scripts/assert-shim.cjs);
// - dist/hash-worker.js: the hashing thread (src/capture/hash-worker.ts), found next to
//   either bundle;
// - dist/types: declarations from tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { index: 'src/index.ts', 'hash-worker': 'src/capture/hash-worker.ts' },
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
  // Less to read at every start (0.72 → 0.52 MB with short names: reading and decoding the
  // bundle costs ~1 ms per 50 KB on this machine); stack traces under MLMETA_DEBUG=1 are mapped
  // back to src/ through dist/cli.cjs.map (bin/mlmeta.js).
  minify: true,
  sourcemap: 'linked',
  banner: { js: "const __mlmetaImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  logLevel: 'warning',
};
// yargs imports node:assert for two equality checks; the CLI gets them from a shim.
const assertShim = {
  name: 'assert-shim',
  setup(b) {
    b.onResolve({ filter: /^(node:)?assert$/ }, () => ({ path: new URL('./assert-shim.cjs', import.meta.url).pathname }));
  },
};
// string-width (yargs, cliui and wrap-ansi each import a copy) builds an Intl.Segmenter and
// Unicode-property regular expressions (\p{RGI_Emoji} with the v flag) when its module is
// evaluated: ~50 ms of CPU on every start, though only help and usage text measure widths.
// Each copy is bundled behind a stand-in that evaluates it on the first call.
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      const real = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'real' });
      if (real.errors.length > 0) return undefined;
      return { path: real.path, namespace: 'lazy-string-width' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (args) => ({
      contents: `let real;\nexport default function stringWidth(string, options) {\n  real ??= require(${JSON.stringify(args.path)}).default;\n  return real(string, options);\n}\n`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};
// node:child_process (with net, dgram and the stream stack), node:zlib and node:worker_threads cost ~20 ms of CPU
// to load, and the modules that import them are evaluated by commands that never spawn or
// inflate (`show` reaches them through the store). The CLI gets each through a stand-in that
// loads the real module on the first read of one of its exports. esbuild copies the names of
// a bundled CommonJS module's exports when an ES module imports it (__toESM), so the stand-in
// lists the names itself (this Node's, at build time) instead of loading the module to ask.
const LAZY_BUILTINS = /^(node:)?(child_process|zlib|worker_threads)$/;
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: LAZY_BUILTINS }, (args) =>
      args.namespace === 'lazy-builtin' ? { path: args.path, external: true } : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const id = `node:${args.path}`;
      const names = Object.getOwnPropertyNames(await import(id)).filter((n) => n !== 'default');
      return {
        contents: `let real;
const load = () => (real ??= require(${JSON.stringify(id)}));
const names = ${JSON.stringify(names)};
module.exports = new Proxy({}, {
  // esbuild's interop asks for __esModule (no node module has one): answered without loading
  get: (_, key) => (key === '__esModule' ? undefined : load()[key]),
  has: (_, key) => key in load(),
  ownKeys: () => names,
  getOwnPropertyDescriptor: (_, key) => (names.includes(key) ? { configurable: true, enumerable: true, get: () => load()[key] } : undefined),
});
`,
        loader: 'js',
      };
    });
  },
};
// esbuild's CommonJS output gives each `import * as fs from 'node:fs'` its own namespace object
// (`__toESM(require("node:fs"))` copies ~100 getters), once per importing module: ~80 times for
// node:fs, node:path, node:os and the lazy stand-ins above, ~10 ms of every start. Each node
// module is imported instead through one shared ES module that re-exports it, so its namespace
// is made once (a namespace is read-only: sharing it changes nothing).
const SHARED_BUILTINS = /^(node:)?(fs|path|os|child_process|zlib|worker_threads)$/;
const sharedBuiltins = {
  name: 'shared-builtins',
  setup(b) {
    // only `import` statements in files: the shared module's own import goes on to the real
    // module (or its lazy stand-in, whose `require` of the real one must not come back here),
    // and a CommonJS `require('fs')` (better-sqlite3's) gets node's module object as before
    b.onResolve({ filter: SHARED_BUILTINS }, (args) => (args.namespace === 'file' && args.kind === 'import-statement' ? { path: args.path.replace(/^node:/, ''), namespace: 'shared-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'shared-builtin' }, (args) => ({
      contents: `export * from 'node:${args.path}';\nexport default require('node:${args.path}');\n`,
      loader: 'js',
      resolveDir: process.cwd(),
    }));
  },
};
// better-sqlite3's JavaScript (ten files) goes into the CLI bundle, and so into its code cache:
// required from node_modules, node resolves, reads and compiles each file at every `record`
// and `run` (~20 ms). src/lazy-deps.ts requires it at run time, out of esbuild's sight; in the
// CLI that call is made a plain require, which esbuild bundles (still evaluated only when
// called). The native addon stays in node_modules: the `bindings` package finds it from its
// caller's file name, which in the bundle is dist/cli.cjs, so a stand-in looks in the
// package's build/Release first and asks `bindings` with the package's root otherwise.
const bundledSqlite = {
  name: 'bundled-sqlite',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]lazy-deps\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const call = "load('better-sqlite3')";
      if (!source.includes(call)) throw new Error(`scripts/build.mjs: ${call} not found in src/lazy-deps.ts`);
      return { contents: source.replace(call, "require('better-sqlite3')"), loader: 'ts' };
    });
    b.onResolve({ filter: /^bindings$/ }, (args) =>
      args.namespace === 'sqlite-bindings' ? { path: 'bindings', external: true } : /better-sqlite3/.test(args.importer) ? { path: 'bindings', namespace: 'sqlite-bindings' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'sqlite-bindings' }, () => ({
      contents: `const path = require('node:path');
module.exports = (name) => {
  const root = path.dirname(require.resolve('better-sqlite3/package.json'));
  try {
    return require(path.join(root, 'build', 'Release', name));
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND') throw e;
    return require('bindings')({ bindings: name, module_root: root });
  }
};
`,
      loader: 'js',
    }));
  },
};
await build({ ...cjs, plugins: [sharedBuiltins, assertShim, lazyStringWidth, lazyBuiltins, bundledSqlite], entryPoints: { cli: 'src/cli/main.ts' }, external: ['isomorphic-git', 'isomorphic-git/*', 'picomatch', 'better-sqlite3/package.json'] });
// The CLI bundle is made pure ASCII, so that bin/mlmeta.js reads it as latin1: a one-byte string
// in one copy, where a UTF-8 read decodes 0.7 MB into a two-byte string (~5 ms of every start on
// this machine's slow fresh memory; docs/BENCH.md). esbuild already escapes non-ASCII characters
// (charset ascii) except in template literal text, which it keeps as written because a tag may
// read `strings.raw`; the UI's tag (src/ui/html.ts `h`) reads the cooked strings, where \uXXXX is
// the same character. String.raw templates (ansi-regex's) are checked to hold none.
{
  const file = 'dist/cli.cjs';
  const text = readFileSync(file, 'utf8');
  for (const raw of text.match(/String\.raw`[^`]*`/g) ?? []) {
    if (/[^\x00-\x7f]/.test(raw)) throw new Error(`scripts/build.mjs: non-ASCII text in a String.raw template: ${raw.slice(0, 80)}`);
  }
  writeFileSync(file, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
// Warm-up: each hot command runs once, in its own process, in a throw-away repository; the CLI
// (bin/mlmeta.js) then writes that command's code cache, holding the code the command compiled.
const warm = realpathSync(mkdtempSync(join(tmpdir(), 'mlmeta-warmup-')));
try {
  const env = { ...process.env, MLMETA_DIR: '', GIT_AUTHOR_NAME: 'build', GIT_AUTHOR_EMAIL: 'build@localhost', GIT_COMMITTER_NAME: 'build', GIT_COMMITTER_EMAIL: 'build@localhost' };
  try { execFileSync('git', ['init', '-q'], { cwd: warm, stdio: 'ignore' }); } catch { /* no git: the warm-up runs outside git */ }
  const runs = [['--version'], ['init'], ['record', 'model', '--name', 'w', '--param', 'a=1'], ['record', 'model', '--name', 'w', '--param', 'a=2'], ['show', 'w'], ['cat', 'w'], ['log', 'w'], ['lineage', 'w'], ['find', '--kind', 'model'], ['diff', 'w@1', 'w@2'], ['status'], ['verify'], ['run', '--', 'true']];
  for (const argv of runs) execFileSync(process.execPath, [join(process.cwd(), 'bin/mlmeta.js'), ...argv], { cwd: warm, env, stdio: 'ignore' });
} catch {
  /* a warm-up that fails leaves some caches, or none: the CLI writes each on its first run */
} finally {
  rmSync(warm, { recursive: true, force: true });
}

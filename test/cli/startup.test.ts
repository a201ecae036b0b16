// Start-up (issue 13): bin/mlmeta.js runs the bundle through V8's code cache, keeps a good
// cache, replaces a damaged or missing one, and the hot commands do not load what they do
// not use. Each case runs a copy of bin/ and dist/ (the shared build is never touched).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, mlmeta, ok } from '../helpers/cli.js';
import { gitEnv, gitRepo, tempDir, write } from '../helpers/dirs.js';

const ROOT = path.resolve(path.dirname(BIN), '..');

/** A copy of the installed CLI (bin/ and dist/) in a temp folder; returns its bin. */
function copyOfCli(): string {
  const dir = tempDir('mlmeta-startup-');
  fs.cpSync(path.join(ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'dist'));
  for (const f of fs.readdirSync(path.join(ROOT, 'dist')).filter((f) => f === 'cli.cjs' || /^cli-[a-z]+\.cache$/.test(f))) fs.copyFileSync(path.join(ROOT, 'dist', f), path.join(dir, 'dist', f));
  return path.join(dir, 'bin', 'mlmeta.js');
}

function run(bin: string, cwd: string, args: string[], node: string[] = []) {
  const r = spawnSync(process.execPath, [...node, bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...gitEnv, MLMETA_DEBUG: '', MLMETA_DIR: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A command's code cache in a copy of the CLI. */
const cacheOf = (bin: string, word: string) => path.join(path.dirname(bin), '..', 'dist', `cli-${word}.cache`);

/** Does V8, in a fresh node, accept this command's cache (without its 20-byte checksum) for this bundle, as bin/mlmeta.js compiles it? */
function accepted(bin: string, word: string): boolean {
  const dist = path.join(path.dirname(bin), '..', 'dist');
  const probe = `const fs=require('fs'),vm=require('vm'),M=require('module');const f=${JSON.stringify(path.join(dist, 'cli.cjs'))};
const s=new vm.Script(M.wrap(fs.readFileSync(f,'latin1')),{filename:f,cachedData:fs.readFileSync(${JSON.stringify(cacheOf(bin, word))}).subarray(0,-20)});
process.stdout.write(String(!s.cachedDataRejected));`;
  return spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' }).stdout === 'true';
}

/** A store with one record; returns [folder, id]. */
function oneRecord(): [string, string] {
  const repo = gitRepo();
  ok(repo, ['init']);
  write(repo, 'train.py', 'print(1)\n');
  return [repo, ok(repo, ['record', 'model', '--name', 'm', '--param', 'lr=0.1', '--env', 'none'])];
}

describe('the code cache', () => {
  it('the one the build wrote is accepted, and a run keeps it as it is', () => {
    const bin = copyOfCli();
    const cache = cacheOf(bin, 'show');
    expect(accepted(bin, 'show')).toBe(true);
    const before = fs.readFileSync(cache);
    const [repo, id] = oneRecord();
    const r = run(bin, repo, ['show', id.slice(0, 10)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(ok(repo, ['show', id.slice(0, 10)]) + '\n');
    expect(fs.readFileSync(cache).equals(before)).toBe(true);
  });

  it('a damaged cache (right length, wrong bytes) is not given to V8: same output, and a good cache is written in its place', () => {
    // V8 checks a cache's length, version and flags, not its contents: such bytes would abort
    // the process ("Fatal error ... unreachable code"); the checksum in bin/mlmeta.js stops them.
    const bin = copyOfCli();
    const cache = cacheOf(bin, 'show');
    const good = fs.readFileSync(cache);
    const damaged = Buffer.from(good);
    for (let i = 64; i < damaged.length - 20; i += 97) damaged[i] ^= 0xff;
    fs.writeFileSync(cache, damaged);
    const [repo, id] = oneRecord();
    const r = run(bin, repo, ['show', id]);
    expect(r.stderr).not.toMatch(/Fatal|error/);
    expect(r.code).toBe(0);
    expect(r).toEqual(mlmeta(repo, ['show', id]));
    const rewritten = fs.readFileSync(cache);
    expect(rewritten.equals(damaged)).toBe(false);
    expect(accepted(bin, 'show')).toBe(true);
  });

  it('a zero-filled cache (what a crash can leave) is ignored too', () => {
    const bin = copyOfCli();
    const cache = cacheOf(bin, 'other'); // help's
    fs.writeFileSync(cache, Buffer.alloc(fs.statSync(cache).size));
    const r = run(bin, tempDir(), ['--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mlmeta <command>');
  });

  it('a missing cache is written by the first run', () => {
    const bin = copyOfCli();
    const cache = cacheOf(bin, 'show');
    fs.rmSync(cache);
    const [repo, id] = oneRecord();
    expect(run(bin, repo, ['show', id]).code).toBe(0);
    expect(fs.existsSync(cache)).toBe(true);
    expect(accepted(bin, 'show')).toBe(true);
  });

  it('each command word has its own cache, and the build wrote the hot ones and help\'s', () => {
    // bin/mlmeta.js picks the cache by the command word; its list must be main.ts's
    const words = (file: string, re: RegExp) => [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(re)].map((m) => m[1]).sort();
    const binWords = words('bin/mlmeta.js', /'([a-z]+)'(?=[,\]])/g);
    expect(binWords).toEqual(words('src/cli/main.ts', /^  \['([a-z]+)', async/gm));
    expect(binWords.length).toBeGreaterThan(20);
    for (const w of ['other', 'init', 'record', 'run', 'show', 'log', 'lineage', 'find', 'status']) expect(fs.existsSync(path.join(ROOT, 'dist', `cli-${w}.cache`)), w).toBe(true);
    const bin = copyOfCli();
    const before = fs.readFileSync(cacheOf(bin, 'show'));
    fs.rmSync(cacheOf(bin, 'cat'));
    const [repo, id] = oneRecord();
    expect(run(bin, repo, ['cat', id]).code).toBe(0);
    expect(accepted(bin, 'cat')).toBe(true);
    expect(fs.readFileSync(cacheOf(bin, 'show')).equals(before)).toBe(true); // another word's cache is left alone
    // a word that is no command uses help's cache: no file per typo
    expect(run(bin, repo, ['shwo']).code).toBe(2);
    expect(fs.readdirSync(path.dirname(cacheOf(bin, 'x'))).filter((f) => f.includes('shwo'))).toEqual([]);
  });

  it('the bundle is pure ASCII (bin/mlmeta.js reads it as latin1)', () => {
    const bytes = fs.readFileSync(path.join(ROOT, 'dist', 'cli.cjs'));
    expect(bytes.length).toBeGreaterThan(100_000);
    expect(bytes.findIndex((b) => b > 0x7f)).toBe(-1);
    // the UI's non-ASCII text survives as escapes: the pager's en dash (test/ui checks the page)
    expect(bytes.toString('latin1')).toContain('\\u2013');
  });
});

describe('what the hot commands load', () => {
  // Reports, at exit, which of these node modules the process loaded (it loads none itself).
  const probe = (dir: string) =>
    write(dir, 'loaded.cjs', `process.on('exit',()=>{require('fs').writeSync(2,'LOADED '+JSON.stringify(['child_process','zlib','worker_threads'].filter(m=>process.moduleLoadList.includes('NativeModule '+m)))+'\\n')});\n`);

  it('show loads none of child_process, zlib, worker_threads; record (which runs git) does load child_process', () => {
    const [repo, id] = oneRecord();
    const pre = probe(tempDir());
    const show = run(BIN, repo, ['show', id.slice(0, 10)], ['-r', pre]);
    expect(show.code).toBe(0);
    expect(show.stderr).toContain('LOADED []');
    const rec = run(BIN, repo, ['record', 'model', '--name', 'm', '--param', 'lr=0.2', '--env', 'none'], ['-r', pre]);
    expect(rec.code).toBe(0);
    expect(rec.stderr).toContain('LOADED ["child_process"]');
  });

  it('help still measures and wraps its columns (string-width is loaded when help needs it)', () => {
    const help = run(BIN, tempDir(), ['record', '--help']);
    expect(help.code).toBe(0);
    // the types are right-aligned to the width yargs measured: every such line is as long
    const typed = help.stdout.split('\n').filter((l) => /\[(string|array|boolean)\]$/.test(l));
    expect(typed.length).toBeGreaterThan(10);
    expect(new Set(typed.map((l) => l.length))).toEqual(new Set([100]));
    // and the descriptions start in one column
    const described = help.stdout.split('\n').filter((l) => /^ {2}(-[a-z], | {4})--[a-z]+ +\S/.test(l));
    expect(new Set(described.map((l) => l.search(/(?<=--[a-z]+ +)\S/)))).toEqual(new Set([18]));
  });
});

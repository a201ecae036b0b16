// The environment a record was made in: OS, arch, Node, and — when python3 is on the
// PATH — the Python version and a digest of the installed distributions (the `name==version`
// lines `pip freeze` prints, read from the *.dist-info / *.egg-info folder names of
// site-packages, which is what pip freeze reads too, at a fraction of its ~0.5 s).
// Python facts are cached in .mlmeta/cache/env.json keyed by the interpreter's path and
// mtime and the site folders' mtimes, so a warm run spawns no Python at all.
// Never captured wholesale: environment variables only by explicit `--env KEY=VALUE`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readNoFollow, writeCacheFile } from '../store/atomic.js';

export interface PythonFacts {
  python: string;
  packages: number;
  packages_sha256: string;
}

export interface EnvFacts {
  os: string;
  arch: string;
  node: string;
  python?: string;
  python_packages?: number;
  python_packages_sha256?: string;
  [key: string]: string | number | undefined;
}

function findOnPath(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function mtime(p: string): number {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return -1;
  }
}

/** `name==version` lines from the metadata folder names in site folders, sorted. */
export function distributions(siteDirs: string[]): string[] {
  const out = new Set<string>();
  for (const dir of siteDirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      const m = /^(.+?)-([^-]+?)\.(dist-info|egg-info)$/.exec(n);
      if (m) out.add(`${m[1]!.toLowerCase().replace(/[-_.]+/g, '-')}==${m[2]}`);
    }
  }
  return [...out].sort();
}

function probePython(exe: string): { version: string; sites: string[] } | undefined {
  try {
    const out = execFileSync(exe, ['-c', 'import sys,site,json;print(json.dumps([sys.version.split()[0], site.getsitepackages()+[site.getusersitepackages()]]))'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000,
    });
    const [version, sites] = JSON.parse(out) as [string, string[]];
    return { version, sites };
  } catch {
    return undefined;
  }
}

export function capturePython(cacheDir: string | undefined, env: NodeJS.ProcessEnv): PythonFacts | undefined {
  const exe = findOnPath('python3', env);
  if (!exe) return undefined;
  const real = (() => { try { return fs.realpathSync(exe); } catch { return exe; } })();
  const file = cacheDir ? path.join(cacheDir, 'env.json') : undefined;
  type Cached = { exe: string; exeMtime: number; version: string; sites: string[]; siteMtimes: number[]; facts: PythonFacts };
  let cached: Cached | undefined;
  try {
    if (file) cached = JSON.parse(readNoFollow(file).toString('utf8')) as Cached;
  } catch {
    cached = undefined;
  }
  if (cached && cached.exe === real && cached.exeMtime === mtime(real) && cached.sites.every((s, i) => mtime(s) === cached!.siteMtimes[i])) {
    return cached.facts;
  }
  const probe = probePython(exe);
  if (!probe) return undefined;
  const dists = distributions(probe.sites);
  const facts: PythonFacts = {
    python: probe.version,
    packages: dists.length,
    packages_sha256: createHash('sha256').update(dists.map((d) => `${d}\n`).join('')).digest('hex'),
  };
  if (file) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const entry: Cached = { exe: real, exeMtime: mtime(real), version: probe.version, sites: probe.sites, siteMtimes: probe.sites.map(mtime), facts };
      writeCacheFile(file, JSON.stringify(entry));
    } catch {
      /* only a cache */
    }
  }
  return facts;
}

export function captureEnvironment(cacheDir: string | undefined, env: NodeJS.ProcessEnv, extra: Record<string, string> = {}): EnvFacts {
  const facts: EnvFacts = { os: `${os.platform()} ${os.release()}`, arch: os.arch(), node: process.versions.node };
  const py = capturePython(cacheDir, env);
  if (py) {
    facts.python = py.python;
    facts.python_packages = py.packages;
    facts.python_packages_sha256 = py.packages_sha256;
  }
  return { ...facts, ...extra };
}

// Heavy dependencies loaded only by the commands that use them (isomorphic-git costs
// ~70 ms to load, fast-glob ~30 ms). A runtime `require` keeps them out of both bundles
// and works the same from the ESM library and the CommonJS CLI.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export function fastGlob(): typeof import('fast-glob') {
  return load('fast-glob') as typeof import('fast-glob');
}

export function isomorphicGit(): { git: typeof import('isomorphic-git'); http: typeof import('isomorphic-git/http/node') } {
  return {
    git: load('isomorphic-git') as typeof import('isomorphic-git'),
    http: load('isomorphic-git/http/node') as typeof import('isomorphic-git/http/node'),
  };
}

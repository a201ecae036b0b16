// Heavy dependencies loaded only by the commands that use them (isomorphic-git costs
// ~70 ms to load; picomatch is needed only for --exclude). A runtime `require` keeps them out of both bundles
// and works the same from the ESM library and the CommonJS CLI.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** picomatch's matcher factory (only the options mlmeta uses are typed). */
export function picomatch(): (glob: string, opts: { dot: boolean; basename: boolean }) => (p: string) => boolean {
  return load('picomatch') as (glob: string, opts: { dot: boolean; basename: boolean }) => (p: string) => boolean;
}

export function isomorphicGit(): { git: typeof import('isomorphic-git'); http: typeof import('isomorphic-git/http/node') } {
  return {
    git: load('isomorphic-git') as typeof import('isomorphic-git'),
    http: load('isomorphic-git/http/node') as typeof import('isomorphic-git/http/node'),
  };
}

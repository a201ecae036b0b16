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

/** What mlmeta uses of a better-sqlite3 statement. */
export interface SqlStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  pluck(on?: boolean): SqlStatement;
  raw(on?: boolean): SqlStatement;
}

/** What mlmeta uses of a better-sqlite3 database. */
export interface SqlDatabase {
  prepare(sql: string): SqlStatement;
  exec(sql: string): SqlDatabase;
  pragma(sql: string, opts?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): { (...args: A): R; immediate(...args: A): R };
  function(name: string, opts: { deterministic?: boolean; varargs?: boolean }, fn: (...args: never[]) => unknown): SqlDatabase;
  unsafeMode(on?: boolean): SqlDatabase;
  close(): void;
  readonly open: boolean;
  readonly inTransaction: boolean;
}

/**
 * better-sqlite3, a native addon (~40 ms to load): required only when a command needs the
 * index, never by `show ID` or `cat`. Kept out of both bundles (scripts/build.mjs).
 */
export function sqlite(): new (file: string, opts?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number }) => SqlDatabase {
  return load('better-sqlite3') as new (file: string, opts?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number }) => SqlDatabase;
}

// Drive the built CLI (bin/mlmeta.js) as a user would: a real process, real files.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitEnv } from './dirs.js';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/mlmeta.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function mlmeta(cwd: string, args: string[], env: Record<string, string> = {}, input?: string): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    input,
    env: { ...process.env, ...gitEnv, MLMETA_DEBUG: '', MLMETA_DIR: '', ...env },
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Run and expect success; returns trimmed stdout. */
export function ok(cwd: string, args: string[], env: Record<string, string> = {}): string {
  const r = mlmeta(cwd, args, env);
  if (r.code !== 0) throw new Error(`mlmeta ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

const GEN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'gen-records.mjs');

/** Write `n` records straight into `repo`'s store (gen-records.mjs: a chain of versions, or evals of one name); the last one's id. */
export function generateRecords(repo: string, n: number, firstVersion = 1, kind = 'model'): string {
  const r = spawnSync(process.execPath, [GEN, repo, String(n), String(firstVersion), kind], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gen-records.mjs failed: ${r.stderr}`);
  return r.stdout.trim();
}

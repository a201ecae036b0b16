// Start the git smart-HTTP test server (git-http-server.mjs) in its own process, so that
// tests can run the CLI with spawnSync while the server keeps answering.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GitHttpServer {
  url: string;
  /** how many pushes were cut off (see `cutAfterBytes`) */
  stats(): Promise<{ cuts: number; cutAt: number }>;
  close(): Promise<void>;
}

export interface GitHttpOptions {
  auth?: { user: string; password: string };
  /** cut the first push off after this many bytes of its request body */
  cutAfterBytes?: number;
}

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'git-http-server.mjs');

export function startGitHttp(root: string, opts: GitHttpOptions = {}): Promise<GitHttpServer> {
  const args = [script, root, opts.auth ? `${opts.auth.user}:${opts.auth.password}` : '-', ...(opts.cutAfterBytes !== undefined ? [String(opts.cutAfterBytes)] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d: Buffer) => {
      const url = d.toString().trim();
      resolve({
        url,
        stats: async () => (await fetch(`${url}/__stats`)).json() as Promise<{ cuts: number; cutAt: number }>,
        close: () => new Promise<void>((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

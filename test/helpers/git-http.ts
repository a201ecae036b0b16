// Start the git smart-HTTP test server (git-http-server.mjs) in its own process, so that
// tests can run the CLI with spawnSync while the server keeps answering.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GitHttpServer {
  url: string;
  close(): Promise<void>;
}

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'git-http-server.mjs');

export function startGitHttp(root: string, opts: { auth?: { user: string; password: string } } = {}): Promise<GitHttpServer> {
  const args = [script, root, ...(opts.auth ? [`${opts.auth.user}:${opts.auth.password}`] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d: Buffer) => {
      resolve({
        url: d.toString().trim(),
        close: () => new Promise<void>((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

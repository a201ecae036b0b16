// Run the built CLI's `main` inside the test process (for the fuzz test's thousand cases,
// where a process per case would take minutes): same parser, same error boundary; stdout
// and stderr are captured for the call.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const cli = require(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.cjs')) as { main(argv: string[]): Promise<number> };

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export async function runInProcess(argv: string[]): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => { out.push(String(chunk)); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { err.push(String(chunk)); return true; }) as typeof process.stderr.write;
  const t = Date.now();
  try {
    const code = await cli.main(argv);
    return { code, stdout: out.join(''), stderr: err.join(''), ms: Date.now() - t };
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
    process.exitCode = undefined;
  }
}

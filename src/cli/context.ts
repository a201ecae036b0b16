// What every command handler gets: global options, the way to open the store, and
// output helpers (data to stdout, messages to stderr).
import { openStore, type Store } from '../api/store.js';
import { MlmetaError } from '../errors.js';

export interface GlobalArgs {
  store?: string;
  json?: boolean;
}

export function storeFrom(args: GlobalArgs): Store {
  return openStore({ store: args.store });
}

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function outJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** yargs gives a single string or an array for repeatable options. */
export function list(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** `--env none` and `--env KEY=VALUE`. */
export function envOptions(values: string[]): { env: 'auto' | 'none' | undefined; envExtra: Record<string, string> } {
  let env: 'auto' | 'none' | undefined;
  const envExtra: Record<string, string> = {};
  for (const v of values) {
    if (v === 'none' || v === 'auto') env = v;
    else {
      const eq = v.indexOf('=');
      if (eq <= 0) throw new MlmetaError('E_BAD_INPUT', `--env ${JSON.stringify(v)} is not none, auto or KEY=VALUE`);
      envExtra[v.slice(0, eq)] = v.slice(eq + 1);
    }
  }
  return { env, envExtra };
}

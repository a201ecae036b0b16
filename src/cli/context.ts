// What every command handler gets: global options, the way to open the store, and
// output helpers (data to stdout, messages to stderr).
import { refuseUnsafeKeys } from '../capture/values.js';
import { openStore, type Store } from '../api/store.js';
import { MlmetaError } from '../errors.js';
import { writeJson } from '../render/json.js';
import { printableLines } from '../render/safe.js';

export interface GlobalArgs {
  store?: string;
  json?: boolean;
}

export function storeFrom(args: GlobalArgs): Store {
  return openStore({ store: args.store });
}

// Renderers escape each record-derived field (render/safe.ts); these writers also escape
// any control character but the renderer's own newlines, so no command's text output can
// drive the terminal, whatever it prints.
export function out(text: string): void {
  const safe = printableLines(text);
  process.stdout.write(safe.endsWith('\n') ? safe : `${safe}\n`);
}

export function outJson(value: unknown): void {
  writeJson(value, (chunk) => process.stdout.write(chunk));
}

export function note(text: string): void {
  process.stderr.write(`${printableLines(text)}\n`);
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
      refuseUnsafeKeys({ [v.slice(0, eq)]: null }, '--env');
      envExtra[v.slice(0, eq)] = v.slice(eq + 1);
    }
  }
  return { env, envExtra };
}

/**
 * A stored object's exact bytes (`cat`, `show --yaml`). YAML may hold bidi and C1 characters
 * raw, so on a terminal they are shown escaped; into a pipe or file the bytes go as stored
 * (what `sha256sum` must see).
 */
export function outStoredBytes(bytes: Buffer): void {
  if (process.stdout.isTTY) process.stdout.write(printableLines(bytes.toString('utf8')));
  else process.stdout.write(bytes);
}

/**
 * A count option (`--depth`, `--limit`): digits only. yargs' own number type takes `''` as
 * 0, `0x10` as 16, `1e3` as 1000 and a bare flag as nothing at all.
 */
export function countOption(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^\d{1,9}$/.test(text)) throw new MlmetaError('E_USAGE', `${flag} must be a whole number (0 or more), not ${JSON.stringify(text)}`);
  return Number(text);
}

// What every command handler gets: global options, the way to open the store, and
// output helpers (data to stdout, messages to stderr).
import { openStore, type Store } from '../api/store.js';

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

// Every failure mlmeta reports has a stable code. The CLI's one error boundary
// (src/cli/main.ts) prints `error[CODE]: message` and exits with `exitCode`.
// The table in docs/ERRORS.md is checked against ERROR_CODES by a test.

export const ERROR_CODES = {
  E_USAGE: 'a command line that does not parse (exit 2)',
  E_NO_STORE: 'no .mlmeta store here or above; run `mlmeta init`',
  E_NOT_FOUND: 'a ref, record, file or remote that does not exist',
  E_AMBIGUOUS: 'a ref that names more than one record; the candidates are listed',
  E_BAD_REF: 'a ref whose syntax is not an id, prefix, NAME, NAME@N or NAME@ALIAS',
  E_BAD_INPUT: 'a params/metrics file, flag value or record field that is not acceptable',
  E_BAD_YAML: 'YAML that does not parse, or uses anchors, aliases, tags or deep nesting',
  E_CORRUPT_OBJECT: 'an object whose bytes do not hash to its name, or that is not a record',
  E_IO: 'a file system operation failed (permissions, disk full, read-only store)',
  E_GIT: 'git failed or is not available where it is needed',
  E_COMMAND_FAILED: 'the command given to `mlmeta run` could not be started',
  E_PARAM_CONFLICT: 'a param the command logged differs from its params file or --param flag (the run is recorded, no model version)',
  E_OUTPUT: 'a declared run output that is missing or was not written by the command',
  E_REMOTE: 'a remote could not be reached, or refused the transfer',
  E_SIGNATURE: 'no signing key, ssh-keygen could not sign, or a signature required by the command is missing or not valid',
  E_DATA_CHANGED: 'an input of a recorded run is missing or no longer matches its manifest (reproduce); the files are named',
  E_REPRODUCE: 'the reproduced command failed or was interrupted, or the record cannot be re-run; nothing was recorded',
  E_LOCKED: 'another mlmeta process holds a lock this command needs, for longer than it waits',
  E_IMPORT_SOURCE: 'a file of an MLflow or DVC source that cannot be read as that tool writes it (the file is named)',
  E_INTERNAL: 'a bug: an unexpected failure (report it with MLMETA_DEBUG=1 output)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class MlmetaError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown>;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(message);
    this.name = 'MlmetaError';
    this.code = code;
    this.data = data;
    this.exitCode = code === 'E_USAGE' || code === 'E_BAD_REF' ? 2 : 1;
  }
}

export function isMlmetaError(e: unknown): e is MlmetaError {
  return e instanceof MlmetaError;
}

/** Wrap a Node fs error as E_IO with the path and errno code, keeping the message short. */
export function ioError(e: unknown, what: string): MlmetaError {
  const err = e as NodeJS.ErrnoException;
  const reason = err?.code ?? (err?.message || String(e));
  return new MlmetaError('E_IO', `${what}: ${reason}`, { errno: err?.code });
}

// Reading other tools' files: they were written on any OS, by any version. Text is decoded
// as UTF-8, falling back to Latin-1 for bytes that are not (old Windows writers); a BOM
// is dropped. A file that cannot be read is one error line naming it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Larger than any metadata file a tool writes; a bigger one is refused, not loaded. */
export const MAX_SOURCE_FILE = 256 * 1024 * 1024;

export function sourceError(root: string, file: string, msg: string): MlmetaError {
  const rel = path.relative(root, file) || path.basename(file);
  return new MlmetaError('E_IMPORT_SOURCE', `${rel}: ${msg}`, { file: rel });
}

export function decodeText(bytes: Uint8Array): string {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    text = Buffer.from(bytes).toString('latin1');
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function readSourceText(file: string, root: string): string {
  let fd: number | undefined;
  try {
    // Opened without blocking and checked on the open descriptor: a FIFO, a socket or a
    // symlink to /dev/zero in a hostile source would otherwise hang the import or fill memory.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw sourceError(root, file, 'is not a regular file');
    if (st.size > MAX_SOURCE_FILE) throw sourceError(root, file, `is larger than ${MAX_SOURCE_FILE} bytes`);
    const bytes = Buffer.alloc(st.size);
    let n = 0;
    while (n < bytes.length) {
      const r = fs.readSync(fd, bytes, n, bytes.length - n, n);
      if (r === 0) break;
      n += r;
    }
    return decodeText(bytes.subarray(0, n));
  } catch (e) {
    if (e instanceof MlmetaError) throw e;
    throw sourceError(root, file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

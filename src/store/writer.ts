// Who is writing: a short tag for this host and pid namespace, so that a temp or lock file
// left by a pid can be judged dead only by a process that can actually see that pid. A
// writer in another container or on another host sharing the disk has another tag, and its
// files are only ever cleaned up by age.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';

let tag: string | undefined;

export function writerTag(): string {
  if (tag === undefined) {
    let ns = '';
    try {
      ns = fs.readlinkSync('/proc/self/ns/pid');
    } catch {
      /* no /proc (macOS): the host name alone */
    }
    tag = createHash('sha256').update(`${os.hostname()}\0${ns}`).digest('hex').slice(0, 8);
  }
  return tag;
}

/**
 * Whether the writer `(tag, pid)` may still be alive. Only a writer with our own tag can be
 * checked; any other is presumed alive (its files expire by age instead).
 */
export function writerMayBeAlive(otherTag: string, pid: number): boolean {
  if (otherTag !== writerTag()) return true;
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

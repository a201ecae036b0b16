// The streamed `git cat-file --batch` reader: objects of any size, cut anywhere by the pipe,
// come out whole; a missing object is left out; a throw from the caller stops the reading.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eachGitObject } from '../../src/remote/object-reader.js';
import { tempDir, write } from '../helpers/dirs.js';

/** A bare repository holding these blobs (one `git hash-object` for all of them). */
function bareWith(blobs: Buffer[]): { dir: string; oids: string[] } {
  const dir = tempDir();
  execFileSync('git', ['init', '-q', '--bare', dir]);
  const files = tempDir();
  const paths = blobs.map((b, i) => write(files, `b${i}`, b));
  const oids = execFileSync('git', ['--git-dir', dir, 'hash-object', '-w', '--stdin-paths'], { input: paths.join('\n') + '\n' }).toString().trim().split('\n');
  return { dir, oids };
}

describe('eachGitObject (git cat-file --batch, streamed)', () => {
  it('hands over every object whole, large ones across many pipe chunks, and skips a missing one', async () => {
    const blobs = [Buffer.alloc(3 * 1024 * 1024 + 17, 'x'), ...Array.from({ length: 300 }, (_, i) => Buffer.from(`record ${i}\n`.repeat(i % 7))), Buffer.from('tail\n')];
    blobs[0]![12345] = 0x0a;
    const { dir, oids } = bareWith(blobs);
    const missing = '0123456789012345678901234567890123456789';
    const seen = new Map<string, Buffer>();
    await eachGitObject(dir, [oids[0]!, missing, ...oids.slice(1)], (oid, o) => {
      expect(o.type).toBe('blob');
      seen.set(oid, Buffer.from(o.body));
    });
    expect(seen.has(missing)).toBe(false);
    expect(seen.size).toBe(new Set(oids).size);
    oids.forEach((oid, i) => expect(seen.get(oid)!.equals(blobs[i]!)).toBe(true));
  });

  it('a throw from the caller is the result, and no object after it is handed over', async () => {
    const { dir, oids } = bareWith(Array.from({ length: 2000 }, (_, i) => Buffer.from(`blob ${i}\n`)));
    let calls = 0;
    const stop = new Error('corrupt');
    await expect(eachGitObject(dir, oids, () => {
      calls++;
      if (calls === 10) throw stop;
    })).rejects.toBe(stop);
    expect(calls).toBe(10);
  });
});

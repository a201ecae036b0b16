import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { idsWithPrefix, listAllIds, objectPath, readObject, sha256Hex, writeObject } from '../../src/store/objects.js';
import { tempDir } from '../helpers/dirs.js';

describe('object store', () => {
  it('names an object by the sha256 of its bytes, checkable with sha256sum', () => {
    const objects = path.join(tempDir(), 'objects');
    const bytes = Buffer.from('kind: model\nname: a\n');
    const { id, created } = writeObject(objects, bytes);
    expect(created).toBe(true);
    const file = objectPath(objects, id);
    expect(file).toBe(path.join(objects, id.slice(0, 2), `${id.slice(2)}.yaml`));
    const sum = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
    expect(sum).toBe(id);
    expect(fs.statSync(file).mode & 0o222).toBe(0); // read-only
    expect(readObject(objects, id).equals(bytes)).toBe(true);
  });

  it('is idempotent and leaves no temp files', () => {
    const objects = path.join(tempDir(), 'objects');
    const a = writeObject(objects, Buffer.from('x: 1\n'));
    const b = writeObject(objects, Buffer.from('x: 1\n'));
    expect(b).toEqual({ id: a.id, created: false });
    expect(fs.readdirSync(path.join(objects, a.id.slice(0, 2)))).toEqual([`${a.id.slice(2)}.yaml`]);
  });

  it('refuses to read an object whose bytes were changed', () => {
    const objects = path.join(tempDir(), 'objects');
    const { id } = writeObject(objects, Buffer.from('x: 1\n'));
    const file = objectPath(objects, id);
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, 'x: 2\n');
    expect(() => readObject(objects, id)).toThrow(/E_CORRUPT_OBJECT|corrupt/);
    try { readObject(objects, id); } catch (e) { expect((e as { code: string }).code).toBe('E_CORRUPT_OBJECT'); }
  });

  it('repairs a damaged object when the right bytes are written again', () => {
    const objects = path.join(tempDir(), 'objects');
    const { id } = writeObject(objects, Buffer.from('x: 1\n'));
    const file = objectPath(objects, id);
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, 'x: 1'); // truncated
    expect(writeObject(objects, Buffer.from('x: 1\n')).created).toBe(true);
    expect(readObject(objects, id).toString()).toBe('x: 1\n');
  });

  it('lists only names of the object form and resolves prefixes in one fan-out folder', () => {
    const objects = path.join(tempDir(), 'objects');
    const ids = ['a: 1\n', 'a: 2\n', 'a: 3\n'].map((s) => writeObject(objects, Buffer.from(s)).id);
    const fan = path.join(objects, ids[0]!.slice(0, 2));
    fs.writeFileSync(path.join(fan, '.tmp-leftover'), 'junk');
    fs.writeFileSync(path.join(fan, 'README'), 'junk');
    expect(listAllIds(objects)).toEqual([...ids].sort());
    expect(idsWithPrefix(objects, ids[0]!.slice(0, 8))).toEqual([ids[0]]);
    expect(() => idsWithPrefix(objects, 'ab')).toThrow(/hex prefix/);
    expect(() => idsWithPrefix(objects, '../../etc')).toThrow(/hex prefix/);
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('never builds a path from a non-hex id', () => {
    expect(() => objectPath('/x', '../../../../etc/passwd')).toThrow(/full record id/);
  });
});

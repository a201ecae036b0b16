import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanTempFiles, hasObject, objectFilesIn, idsWithPrefix, listAllIds, listFanout, listIdsIn, objectPath, readObject, sha256Hex, strayEntries, writeObject, writeObjectsBulk } from '../../src/store/objects.js';
import { tempName } from '../../src/store/atomic.js';
import { writerTag } from '../../src/store/writer.js';
import { mlmeta, ok } from '../helpers/cli.js';
import { tempDir, write } from '../helpers/dirs.js';

/** A pid that existed and is gone. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

function age(file: string, ms: number): void {
  const t = new Date(Date.now() - ms);
  fs.utimesSync(file, t, t);
}

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

  it('does not follow links: a symlinked object or fan-out folder is not held, not listed, refused on read', () => {
    const objects = path.join(tempDir(), 'objects');
    const outside = tempDir();
    const bytes = Buffer.from('x: outside\n');
    const id = sha256Hex(bytes);
    fs.writeFileSync(path.join(outside, `${id.slice(2)}.yaml`), bytes);
    fs.mkdirSync(objects);
    fs.symlinkSync(outside, path.join(objects, id.slice(0, 2)));
    expect(hasObject(objects, id)).toBe(false);
    expect(listFanout(objects)).toEqual([]);
    expect(listIdsIn(objects, id.slice(0, 2))).toEqual([]);
    expect(idsWithPrefix(objects, id.slice(0, 6))).toEqual([]);
    expect(idsWithPrefix(objects, id)).toEqual([]);
    expect(() => readObject(objects, id)).toThrow(/not a real folder \(a symlink\?\); refused/);
    expect(strayEntries(objects)).toEqual([{ path: id.slice(0, 2), link: true }]);

    fs.unlinkSync(path.join(objects, id.slice(0, 2)));
    fs.mkdirSync(path.join(objects, id.slice(0, 2)));
    fs.symlinkSync(path.join(outside, `${id.slice(2)}.yaml`), objectPath(objects, id));
    expect(hasObject(objects, id)).toBe(false);
    expect(() => readObject(objects, id)).toThrow(`object ${id} is a symlink; refused`);
    // a write replaces the link itself; the file it pointed at is untouched
    fs.chmodSync(path.join(outside, `${id.slice(2)}.yaml`), 0o600);
    expect(writeObject(objects, bytes).created).toBe(true);
    expect(fs.lstatSync(objectPath(objects, id)).isFile()).toBe(true);
    expect(fs.statSync(path.join(outside, `${id.slice(2)}.yaml`)).mode & 0o777).toBe(0o600);
    expect(hasObject(objects, id)).toBe(true);
  });

  it('a store with no objects/ yet reads as empty and its first write creates it; the placeholder is no object', () => {
    const objects = path.join(tempDir(), 'objects');
    expect(listAllIds(objects)).toEqual([]);
    expect(strayEntries(objects)).toEqual([]);
    const { id } = writeObject(objects, Buffer.from('x: 1\n'));
    fs.writeFileSync(path.join(objects, '.keep'), '');
    expect(listAllIds(objects)).toEqual([id]);
    expect(strayEntries(objects)).toEqual([]);
  });

  it("cleans up temp files by who wrote them: a dead writer of ours at once, another host's or an old-form name only after an hour", () => {
    const objects = path.join(tempDir(), 'objects');
    const { id } = writeObject(objects, Buffer.from('x: 1\n'));
    const fan = path.join(objects, id.slice(0, 2));
    const foreign = writerTag() === 'ffffffff' ? 'eeeeeeee' : 'ffffffff';
    const dead = deadPid();
    const ours = write(fan, `.tmp-abcd1234-${writerTag()}-${dead}-00000000`, 'half');
    const theirs = write(fan, `.tmp-abcd1234-${foreign}-${dead}-00000000`, 'half');
    const oldForm = write(fan, `.tmp-abcd1234-${dead}-00000000`, 'half');
    const theirsOld = write(fan, `.tmp-abcd1234-${foreign}-${dead}-11111111`, 'half');
    age(theirsOld, 2 * 3600_000);
    const live = tempName(fan, 'live'); // our own pid: alive
    fs.writeFileSync(live, 'in progress');
    // the next write in that folder cleans up
    let i = 2;
    while (!sha256Hex(`x: ${i}\n`).startsWith(id.slice(0, 2))) i++;
    expect(writeObject(objects, Buffer.from(`x: ${i}\n`)).created).toBe(true);
    expect(fs.existsSync(ours)).toBe(false);
    expect(fs.existsSync(theirsOld)).toBe(false);
    expect(fs.existsSync(theirs)).toBe(true);
    expect(fs.existsSync(oldForm)).toBe(true);
    expect(fs.existsSync(live)).toBe(true);
    age(oldForm, 2 * 3600_000);
    expect(cleanTempFiles(objects)).toEqual([`${id.slice(0, 2)}/${path.basename(oldForm)}`]);
    expect(fs.existsSync(theirs)).toBe(true);
  });

  it('verify --fix removes a dead writer of ours but not a foreign writer whose pid is not visible here', () => {
    const dir = tempDir();
    ok(dir, ['init']);
    const id = ok(dir, ['record', 'model', '--name', 'm', '--code', 'none', '--env', 'none']);
    const fan = path.join(dir, '.mlmeta/objects', id.slice(0, 2));
    const foreign = writerTag() === 'ffffffff' ? 'eeeeeeee' : 'ffffffff';
    const dead = deadPid();
    const ours = write(fan, `.tmp-abcd1234-${writerTag()}-${dead}-00000000`, 'half');
    const theirs = write(fan, `.tmp-abcd1234-${foreign}-${dead}-00000000`, 'half');
    const r = mlmeta(dir, ['verify', '--fix', '--json']);
    expect(JSON.parse(r.stdout).fixed).toEqual([`${id.slice(0, 2)}/${path.basename(ours)}`]);
    expect(fs.existsSync(ours)).toBe(false);
    expect(fs.existsSync(theirs)).toBe(true);
  });

  {
    const name = 'writeObjectsBulk';
    const bulk = async (o: string, list: Array<{ id: string; bytes: Buffer }>) => writeObjectsBulk(o, list);
    it(`${name}: a folder planted at an object's name refuses the bulk write (pull) before anything is written; dead writers' temp files are cleaned`, async () => {
      const objects = path.join(tempDir(), 'objects');
      const good = Buffer.from('x: good\n');
      const id = sha256Hex(good);
      const fan = path.join(objects, id.slice(0, 2));
      fs.mkdirSync(fan, { recursive: true });
      const leftover = write(fan, `.tmp-abcd1234-${writerTag()}-${deadPid()}-00000000`, 'half');
      // the second object's name is taken by a folder (git can commit one)
      const bad = Buffer.from('x: bad\n');
      const badId = sha256Hex(bad);
      fs.mkdirSync(objectPath(objects, badId), { recursive: true });
      await expect(bulk(objects, [{ id, bytes: good }, { id: badId, bytes: bad }])).rejects.toThrow(/cannot write .*: a folder is at that name \(planted in the store\?\); remove it/);
      expect(hasObject(objects, id)).toBe(false); // all or none: the good one was not written either
      expect(fs.existsSync(leftover)).toBe(false);
      const temps = [fan, path.dirname(objectPath(objects, badId))].flatMap((d) => fs.readdirSync(d).filter((n) => n.startsWith('.tmp-')));
      expect(temps).toEqual([]);
    });

    it(`${name}: writes many objects read-only across folders, keeps intact ones, repairs damaged ones, replaces a planted link`, async () => {
      const root = tempDir();
      const objects = path.join(root, 'objects');
      const list = Array.from({ length: 300 }, (_, i) => Buffer.from(`kind: model\nname: m${i}\n`)).map((bytes) => ({ id: sha256Hex(bytes), bytes }));
      const [kept, damaged, linked] = list as [typeof list[0], typeof list[0], typeof list[0]];
      writeObject(objects, kept.bytes);
      const keptIno = fs.statSync(objectPath(objects, kept.id)).ino;
      writeObject(objects, damaged.bytes);
      fs.chmodSync(objectPath(objects, damaged.id), 0o644);
      fs.writeFileSync(objectPath(objects, damaged.id), 'kind: mo'); // truncated by some crash
      const outside = write(root, 'outside.txt', 'not yours');
      fs.mkdirSync(path.dirname(objectPath(objects, linked.id)), { recursive: true });
      fs.symlinkSync(outside, objectPath(objects, linked.id));
      expect(await bulk(objects, [...list, list[5]!])).toBe(list.length - 1); // the kept one is not rewritten; a repeat is written once
      for (const { id, bytes } of list) {
        expect(readObject(objects, id).equals(bytes)).toBe(true);
        expect(fs.lstatSync(objectPath(objects, id)).mode & 0o777).toBe(0o444);
      }
      expect(fs.statSync(objectPath(objects, kept.id)).ino).toBe(keptIno);
      expect(fs.readFileSync(outside, 'utf8')).toBe('not yours'); // the link was replaced, not written through
      expect(listAllIds(objects)).toEqual(list.map((o) => o.id).sort());
      expect(fs.readdirSync(objects).flatMap((f) => fs.readdirSync(path.join(objects, f))).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    });

    it(`${name}: refuses a symlinked fan-out folder and writes nothing through it`, async () => {
      const root = tempDir();
      const objects = path.join(root, 'objects');
      const bytes = Buffer.from('kind: model\nname: linked\n');
      const id = sha256Hex(bytes);
      const elsewhere = path.join(root, 'elsewhere');
      fs.mkdirSync(elsewhere);
      fs.mkdirSync(objects);
      fs.symlinkSync(elsewhere, path.join(objects, id.slice(0, 2)));
      await expect(bulk(objects, [{ id, bytes }])).rejects.toThrow(/not a real folder/);
      expect(fs.readdirSync(elsewhere)).toEqual([]);
      expect(objectFilesIn(objects, id.slice(0, 2)).size).toBe(0);
    });
  }
});

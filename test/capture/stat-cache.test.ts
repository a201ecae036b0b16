// The binary stat cache (src/capture/stat-cache.ts): what is saved loads back entry for
// entry, a damaged file is ignored whole, racy entries are never trusted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StatCache } from '../../src/capture/stat-cache.js';
import { RACY_MS } from '../../src/store/racy.js';
import { tempDir } from '../helpers/dirs.js';

const st = (i: number) => ({ size: i * 7, mtimeMs: 1_700_000_000_000 + i + 0.25, ctimeMs: 1_700_000_000_500 + i, ino: 1_000_000 + i });
const sha = (i: number) => i.toString(16).padStart(64, 'a');
const later = (i: number) => st(i).mtimeMs + RACY_MS + 1;

describe('the stat cache', () => {
  it('saves and loads many entries exactly, odd names included; a changed stat misses', () => {
    const dir = tempDir();
    const names = Array.from({ length: 2000 }, (_, i) => `/data/d${i % 7}/f${i}.csv`);
    names.push('/data/ünïcode ✓.bin', '\u0000/data/escaped\\xff', '/data/new\nline');
    const c = new StatCache(dir);
    names.forEach((n, i) => c.set(n, st(i), sha(i), later(i)));
    c.save();
    expect(fs.readdirSync(dir)).toEqual(['hashes.bin']);
    const back = new StatCache(dir);
    names.forEach((n, i) => expect(back.get(n, st(i))).toBe(sha(i)));
    expect(back.get(names[0]!, { ...st(0), size: 1 })).toBeUndefined();
    expect(back.get(names[1]!, { ...st(1), ino: 5 })).toBeUndefined();
    expect(back.get('/data/absent', st(0))).toBeUndefined();
    // an update and a racy entry (dropped) survive the next save; the rest is copied as is
    back.set(names[2]!, st(99), sha(99), later(99));
    back.set(names[3]!, st(3), sha(3), st(3).mtimeMs + 1);
    back.save();
    const again = new StatCache(dir);
    expect(again.get(names[2]!, st(99))).toBe(sha(99));
    expect(again.get(names[3]!, st(3))).toBeUndefined();
    expect(again.get(names[1999]!, st(1999))).toBe(sha(1999));
    expect(again.get(names[2002]!, st(2002))).toBe(sha(2002));
  });

  it('ignores a truncated or foreign file whole, and replaces the old JSON cache', () => {
    const dir = tempDir();
    const c = new StatCache(dir);
    c.set('/a', st(1), sha(1), later(1));
    c.set('/b', st(2), sha(2), later(2));
    fs.writeFileSync(path.join(dir, 'hashes.json'), '{"v":1,"e":{}}');
    c.save();
    expect(fs.existsSync(path.join(dir, 'hashes.json'))).toBe(false);
    const file = path.join(dir, 'hashes.bin');
    const whole = fs.readFileSync(file);
    expect(new StatCache(dir).get('/a', st(1))).toBe(sha(1));
    fs.writeFileSync(file, whole.subarray(0, whole.length - 5));
    expect(new StatCache(dir).get('/a', st(1))).toBeUndefined();
    fs.writeFileSync(file, Buffer.concat([Buffer.from('something else\n'), whole]));
    expect(new StatCache(dir).get('/a', st(1))).toBeUndefined();
  });

  it('reads nothing until asked, writes nothing when nothing changed, and survives a zero-filled or older file', () => {
    const dir = tempDir();
    const c = new StatCache(dir);
    for (let i = 0; i < 300; i++) c.set(`/d/f${i}`, st(i), sha(i), later(i));
    c.save();
    const file = path.join(dir, 'hashes.bin');
    // the same file through another instance, as a hashing thread opens it
    expect(new StatCache(undefined, file).get('/d/f42', st(42))).toBe(sha(42));
    // unchanged: not written again
    const before = fs.statSync(file);
    const same = new StatCache(dir);
    expect(same.get('/d/f1', st(1))).toBe(sha(1));
    same.save();
    expect(fs.statSync(file).ino).toBe(before.ino);
    // lookups after a save see what was saved
    same.set('/d/new', st(7), sha(7), later(7));
    same.save();
    expect(same.get('/d/new', st(7))).toBe(sha(7));
    expect(same.get('/d/f299', st(299))).toBe(sha(299));
    // the table zero-filled (same length): every lookup misses, none throws
    const whole = fs.readFileSync(file);
    const zeroed = Buffer.from(whole);
    zeroed.fill(0, 36, zeroed.length);
    fs.writeFileSync(file, zeroed);
    expect(new StatCache(dir).get('/d/f1', st(1))).toBeUndefined();
    // the previous row-per-entry format is ignored whole
    fs.writeFileSync(file, Buffer.concat([Buffer.from('mlmeta-stat-cache-2\n'), whole.subarray(20)]));
    expect(new StatCache(dir).get('/d/f1', st(1))).toBeUndefined();
  });

  it('a planted table (every slot full) costs a bounded probe per lookup and is replaced by a sound one; 50,000 entries all come back', () => {
    // One entry and 2^20 slots all pointing at it (review 7): a lookup used to walk every slot,
    // and 5,000 lookups ~5·10^9 probes (this test would time out); now each stops at 64.
    const dir = tempDir();
    const MAGIC = Buffer.from('mlmeta-stat-cache-3\n');
    const slots = 1 << 20;
    const name = Buffer.from('/nowhere');
    const head = Buffer.alloc(16);
    head.writeUInt32LE(1, 0);
    head.writeUInt32LE(slots, 4);
    head.writeUInt32LE(name.length, 8);
    const entry = Buffer.alloc(32 + 32 + 12);
    entry.writeUInt32LE(12345, 64); // a path hash no lookup has
    entry.writeUInt32LE(name.length, 72);
    const table = Buffer.alloc(4 * slots);
    for (let i = 0; i < slots; i++) table.writeUInt32LE(1, 4 * i);
    fs.writeFileSync(path.join(dir, 'hashes.bin'), Buffer.concat([MAGIC, head, entry, table, name]));
    const planted = new StatCache(dir);
    for (let i = 0; i < 5000; i++) expect(planted.get(`/d/f${i}`, st(i))).toBeUndefined();
    // the next save writes a table of its own, in which every entry is found
    for (let i = 0; i < 50_000; i++) planted.set(`/d/f${i}`, st(i), sha(i), later(i));
    planted.save();
    const back = new StatCache(dir);
    for (let i = 0; i < 50_000; i++) expect(back.get(`/d/f${i}`, st(i))).toBe(sha(i));
  }, 30_000);
});


// The index's binary segment format: the structure of a set of records (id, kind, name,
// version, created, parents, display facts), column by column, so that loading the
// structure of 100k records is a few reads and no per-record parsing.
import type { RecordBody } from '../records/record.js';
import type { FanSummaries, Summary } from './summary.js';

export const NONE = 0xffffffff;
/** u32 columns per record: kind, name, version, created, facts, extra, parent count */
export const FIELDS = 7;

/** Facts shown next to a node in lineage views, computed once when the shard is built. */
export function keyFacts(s: RecordBody): Record<string, string | number | boolean> {
  const f: Record<string, string | number | boolean> = {};
  if (typeof s.digest === 'string') f.digest = s.digest.slice(0, 12);
  if (typeof s.file_count === 'number') f.files = s.file_count;
  if (s.code?.commit) f.commit = s.code.commit.slice(0, 10);
  if (s.code?.dirty) f.dirty = true;
  const metric = s.metrics && Object.entries(s.metrics).find(([, v]) => typeof v === 'number');
  if (metric) f[metric[0]] = metric[1] as number;
  if (typeof s.status === 'string') f.status = s.status;
  return f;
}

/**
 * The structure of every record, column by column, indexed by position in `ids` (sorted).
 * Strings (kind, name, created, facts, …) stay encoded in one blob and are decoded only
 * when asked for, so loading 100k records allocates almost nothing.
 */
export class Structure {
  constructor(
    readonly count: number,
    /** 32-byte ids, ascending */
    readonly ids: Buffer,
    /** FIELDS u32 per record: kind, name, version, created, facts, extra, parentCount (strings as global indexes) */
    private readonly fields: Uint32Array,
    readonly parentStart: Uint32Array,
    readonly parentIds: Buffer,
    private readonly parentRoles: Uint32Array,
    private readonly stringOffsets: Uint32Array,
    private readonly stringBlob: Buffer,
    readonly broken: Map<string, string>,
  ) {}

  private memo = new Map<number, string>();

  str(k: number): string | undefined {
    if (k === NONE) return undefined;
    let v = this.memo.get(k);
    if (v === undefined) {
      v = this.stringBlob.toString('utf8', this.stringOffsets[k]!, this.stringOffsets[k + 1]!);
      this.memo.set(k, v);
    }
    return v;
  }

  kind(i: number): string { return this.str(this.fields[i * FIELDS]!)!; }
  name(i: number): string | undefined { return this.str(this.fields[i * FIELDS + 1]!); }
  version(i: number): number { return this.fields[i * FIELDS + 2]!; }
  created(i: number): string { return this.str(this.fields[i * FIELDS + 3]!) ?? ''; }
  facts(i: number): string { return this.str(this.fields[i * FIELDS + 4]!) ?? '{}'; }
  /** the alias name of an alias record, else the code commit */
  extra(i: number): string | undefined { return this.str(this.fields[i * FIELDS + 5]!); }
  parentCount(i: number): number { return this.fields[i * FIELDS + 6]!; }
  parentRole(p: number): string { return this.str(this.parentRoles[p]!)!; }
  /** Positions of the records named `name`, found by comparing bytes (nothing decoded). */
  named(name: string): number[] {
    const want = Buffer.from(name, 'utf8');
    const out: number[] = [];
    const { fields, stringOffsets: off, stringBlob: blob } = this;
    for (let i = 0; i < this.count; i++) {
      const k = fields[i * FIELDS + 1]!;
      if (k === NONE) continue;
      const start = off[k]!;
      const end = off[k + 1]!;
      if (end - start === want.length && blob.compare(want, 0, want.length, start, end) === 0) out.push(i);
    }
    return out;
  }
}

/**
 * Binary segment of one shard, column by column:
 * [u32 header length][header JSON {n, p, m, broken}] then, 4-byte aligned:
 * ids n×32 · fields n×FIELDS u32 · parent ids p×32 · parent roles p u32 ·
 * string offsets (m+1) u32 · string blob (utf8).
 */
export function encodeSegment(fan: string, records: FanSummaries): Buffer {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const str = (v: string | undefined): number => {
    if (v === undefined) return NONE;
    let i = index.get(v);
    if (i === undefined) {
      i = strings.length;
      strings.push(v);
      index.set(v, i);
    }
    return i;
  };
  const good = Object.entries(records).filter((e): e is [string, Summary] => typeof e[1] !== 'string').sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const broken = Object.fromEntries(Object.entries(records).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const n = good.length;
  const p = good.reduce((k, [, s]) => k + (s.parents?.length ?? 0), 0);
  const ids = Buffer.alloc(n * 32);
  const fields = new Uint32Array(n * FIELDS);
  const pids = Buffer.alloc(p * 32);
  const proles = new Uint32Array(p);
  let q = 0;
  good.forEach(([rest, s], i) => {
    ids.write(fan + rest, i * 32, 32, 'hex');
    const f = i * FIELDS;
    fields[f] = str(s.kind);
    fields[f + 1] = str(s.name);
    fields[f + 2] = typeof s.version === 'number' ? s.version : 0;
    fields[f + 3] = str(String(s.created ?? ''));
    fields[f + 4] = str(JSON.stringify(keyFacts(s)));
    fields[f + 5] = str(s.kind === 'alias' ? String(s.alias) : s.code?.commit);
    fields[f + 6] = s.parents?.length ?? 0;
    for (const par of s.parents ?? []) {
      pids.write(par.id, q * 32, 32, 'hex');
      proles[q++] = str(par.role);
    }
  });
  const blobs = strings.map((x) => Buffer.from(x, 'utf8'));
  const offsets = new Uint32Array(strings.length + 1);
  blobs.forEach((b, i) => { offsets[i + 1] = offsets[i]! + b.length; });
  let header = Buffer.from(JSON.stringify({ n, p, m: strings.length, broken }));
  header = Buffer.concat([header, Buffer.alloc((4 - ((4 + header.length) % 4)) % 4, 0x20)]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const u32 = (a: Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([len, header, ids, u32(fields), pids, u32(proles), u32(offsets), ...blobs]);
}

export interface Segment {
  fan: string;
  n: number;
  p: number;
  m: number;
  broken: Record<string, string>;
  /** merged segments: where each shard's records, parents and strings are */
  ranges?: Record<string, ShardRange>;
  /** merged segments: the content hash of each shard segment merged in */
  gens?: Record<string, string>;
  ids: Buffer;
  fields: Uint32Array;
  pids: Buffer;
  proles: Uint32Array;
  offsets: Uint32Array;
  blob: Buffer;
}

export function parseSegment(fan: string, raw: Buffer): Segment {
  // The u32 columns are viewed in place, which needs 4-byte alignment (pooled small reads may lack it).
  const buf = raw.byteOffset % 4 === 0 ? raw : Buffer.from(Uint8Array.prototype.slice.call(raw));
  const hlen = buf.readUInt32LE(0);
  const header = JSON.parse(buf.toString('utf8', 4, 4 + hlen)) as Pick<Segment, 'n' | 'p' | 'm' | 'broken' | 'ranges' | 'gens'>;
  let o = 4 + hlen;
  const take = (bytes: number) => {
    if (o + bytes > buf.length) throw new Error('truncated segment');
    const part = buf.subarray(o, o + bytes);
    o += bytes;
    return part;
  };
  const u32 = (count: number) => {
    const part = take(count * 4);
    return new Uint32Array(part.buffer, part.byteOffset, count);
  };
  const ids = take(header.n * 32);
  const fields = u32(header.n * FIELDS);
  const pids = take(header.p * 32);
  const proles = u32(header.p);
  const offsets = u32(header.m + 1);
  const blob = take(offsets[header.m]!);
  if (o !== buf.length) throw new Error('bad segment length');
  return { fan, ...header, ids, fields, pids, proles, offsets, blob };
}

export function structureOf(seg: Segment): Structure {
  const parentStart = new Uint32Array(seg.n);
  let p = 0;
  for (let r = 0; r < seg.n; r++) {
    parentStart[r] = p;
    p += seg.fields[r * FIELDS + 6]!;
  }
  const broken = new Map(Object.entries(seg.broken).map(([k, v]) => [seg.fan + k, v] as [string, string]));
  return new Structure(seg.n, seg.ids, seg.fields, parentStart, seg.pids, seg.proles, seg.offsets, seg.blob, broken);
}

export function segmentBytes(seg: Segment): Buffer {
  let header = Buffer.from(JSON.stringify({ n: seg.n, p: seg.p, m: seg.m, broken: seg.broken, ranges: seg.ranges, gens: seg.gens }));
  header = Buffer.concat([header, Buffer.alloc((4 - ((4 + header.length) % 4)) % 4, 0x20)]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const u32 = (a: Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([len, header, seg.ids, u32(seg.fields), seg.pids, u32(seg.proles), u32(seg.offsets), seg.blob]);
}

/** A merged segment's record of one shard: [first record, records, first parent, parents, first string, strings]. */
export type ShardRange = [number, number, number, number, number, number];

export function mergeSegments(segs: Segment[]): Segment {
  return concatShards(segs.map((seg) => ({ seg, fan: seg.fan, range: [0, seg.n, 0, seg.p, 0, seg.m] })));
}

/**
 * A merged segment with some shards replaced: `pieces` lists every shard in order, either
 * by name (its records and strings are copied from `base`) or as a fresh shard segment.
 * Only the strings of the shards listed are kept, so the result is exactly what merging
 * every shard again would give (the strings of a shard's old version are dropped, not
 * carried along: all.seg stays the size of the live data however often it is overlaid).
 * Nothing is written: this is how a store that changed a little is loaded without
 * re-reading every shard.
 */
export function overlaySegments(base: Segment, pieces: Array<string | Segment>): Segment {
  return concatShards(pieces.map((x) => (typeof x === 'string' ? { seg: base, fan: x, range: base.ranges![x]! } : { seg: x, fan: x.fan, range: [0, x.n, 0, x.p, 0, x.m] })));
}

/** Whether a merged segment records every shard's strings (all.seg files of older versions do not). */
export function overlayable(seg: Segment): boolean {
  return seg.ranges !== undefined && Object.values(seg.ranges).every((r) => Array.isArray(r) && r.length === 6);
}

/** Concatenate shards, each a range of a segment (a whole shard segment, or a shard inside a merged one). */
function concatShards(pieces: Array<{ seg: Segment; fan: string; range: ShardRange }>): Segment {
  const n = pieces.reduce((k, x) => k + x.range[1], 0);
  const np = pieces.reduce((k, x) => k + x.range[3], 0);
  const m = pieces.reduce((k, x) => k + x.range[5], 0);
  const ids = Buffer.alloc(n * 32);
  const fields = new Uint32Array(n * FIELDS);
  const pids = Buffer.alloc(np * 32);
  const proles = new Uint32Array(np);
  const offsets = new Uint32Array(m + 1);
  const broken: Record<string, string> = {};
  const ranges: Record<string, ShardRange> = {};
  const blobs: Buffer[] = [];
  let i = 0;
  let p = 0;
  let sBase = 0;
  let bBase = 0;
  for (const { seg, fan, range } of pieces) {
    const [r0, rn, p0, pn, s0, sn] = range;
    // string indexes move from [s0, s0 + sn) in `seg` to [sBase, sBase + sn) here
    const shift = sBase - s0;
    const rebase = (v: number) => (v === NONE ? v : v + shift);
    seg.ids.copy(ids, i * 32, r0 * 32, (r0 + rn) * 32);
    const from = seg.fields;
    for (let k = 0; k < rn * FIELDS; k++) {
      const col = k % FIELDS;
      const v = from[r0 * FIELDS + k]!;
      fields[i * FIELDS + k] = col === 2 || col === 6 ? v : rebase(v);
    }
    seg.pids.copy(pids, p * 32, p0 * 32, (p0 + pn) * 32);
    for (let k = 0; k < pn; k++) proles[p + k] = seg.proles[p0 + k]! + shift;
    const b0 = seg.offsets[s0]!;
    const b1 = seg.offsets[s0 + sn]!;
    for (let k = 0; k < sn; k++) offsets[sBase + k] = seg.offsets[s0 + k]! - b0 + bBase;
    blobs.push(seg.blob.subarray(b0, b1));
    // shard segments key broken records by the rest of the id, merged ones by the whole id
    for (const [key, reason] of Object.entries(seg.broken)) {
      if (seg.fan !== '') broken[seg.fan + key] = reason;
      else if (key.startsWith(fan)) broken[key] = reason;
    }
    ranges[fan] = [i, rn, p, pn, sBase, sn];
    i += rn;
    p += pn;
    sBase += sn;
    bBase += b1 - b0;
  }
  offsets[m] = bBase;
  return { fan: '', n, p: np, m, broken, ranges, ids, fields, pids, proles, offsets, blob: Buffer.concat(blobs, bBase) };
}

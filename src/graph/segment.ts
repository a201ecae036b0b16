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
  /** merged segments: each shard's [first record, records, first parent, parents] */
  ranges?: Record<string, [number, number, number, number]>;
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

export function mergeSegments(segs: Segment[]): Segment {
  const n = segs.reduce((k, s) => k + s.n, 0);
  const np = segs.reduce((k, s) => k + s.p, 0);
  const m = segs.reduce((k, s) => k + s.m, 0);
  const fields = new Uint32Array(n * FIELDS);
  const proles = new Uint32Array(np);
  const offsets = new Uint32Array(m + 1);
  const broken: Record<string, string> = {};
  const ranges: Record<string, [number, number, number, number]> = {};
  let i = 0;
  let p = 0;
  let sBase = 0;
  let bBase = 0;
  const rebase = (v: number) => (v === NONE ? v : v + sBase);
  for (const seg of segs) {
    for (const [rest, reason] of Object.entries(seg.broken)) broken[seg.fan + rest] = reason;
    ranges[seg.fan] = [i, seg.n, p, seg.p];
    const f = seg.fields;
    for (let r = 0; r < seg.n; r++) {
      const a = r * FIELDS;
      const b = (i + r) * FIELDS;
      fields[b] = f[a]! + sBase;
      fields[b + 1] = rebase(f[a + 1]!);
      fields[b + 2] = f[a + 2]!;
      fields[b + 3] = f[a + 3]! + sBase;
      fields[b + 4] = f[a + 4]! + sBase;
      fields[b + 5] = rebase(f[a + 5]!);
      fields[b + 6] = f[a + 6]!;
    }
    for (let k = 0; k < seg.p; k++) proles[p + k] = seg.proles[k]! + sBase;
    for (let k = 0; k < seg.m; k++) offsets[sBase + k] = seg.offsets[k]! + bBase;
    i += seg.n;
    p += seg.p;
    sBase += seg.m;
    bBase += seg.blob.length;
  }
  offsets[m] = bBase;
  return {
    fan: '', n, p: np, m, broken, ranges,
    ids: Buffer.concat(segs.map((s) => s.ids), n * 32),
    fields,
    pids: Buffer.concat(segs.map((s) => s.pids), np * 32),
    proles,
    offsets,
    blob: Buffer.concat(segs.map((s) => s.blob), bBase),
  };
}

/**
 * A merged segment with some shards replaced: `pieces` lists every shard in order, either
 * by name (its range in `base` is kept, string indexes untouched) or as a fresh shard
 * segment (its strings appended after the base's, indexes re-based). Nothing is written:
 * this is how a store that changed a little is loaded without re-merging every shard.
 */
export function overlaySegments(base: Segment, pieces: Array<string | Segment>): Segment {
  const ranges = base.ranges ?? {};
  const fresh = pieces.filter((x): x is Segment => typeof x !== 'string');
  const n = pieces.reduce((k, x) => k + (typeof x === 'string' ? ranges[x]![1] : x.n), 0);
  const np = pieces.reduce((k, x) => k + (typeof x === 'string' ? ranges[x]![3] : x.p), 0);
  const m = base.m + fresh.reduce((k, x) => k + x.m, 0);
  const ids = Buffer.alloc(n * 32);
  const fields = new Uint32Array(n * FIELDS);
  const pids = Buffer.alloc(np * 32);
  const proles = new Uint32Array(np);
  const offsets = new Uint32Array(m + 1);
  offsets.set(base.offsets.subarray(0, base.m));
  const broken: Record<string, string> = {};
  const newRanges: Record<string, [number, number, number, number]> = {};
  const blobs: Buffer[] = [base.blob];
  let i = 0;
  let p = 0;
  let sBase = base.m;
  let bBase = base.blob.length;
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      const [r0, rn, p0, pn] = ranges[piece]!;
      base.ids.copy(ids, i * 32, r0 * 32, (r0 + rn) * 32);
      fields.set(base.fields.subarray(r0 * FIELDS, (r0 + rn) * FIELDS), i * FIELDS);
      base.pids.copy(pids, p * 32, p0 * 32, (p0 + pn) * 32);
      proles.set(base.proles.subarray(p0, p0 + pn), p);
      for (const [id, reason] of Object.entries(base.broken)) if (id.startsWith(piece)) broken[id] = reason;
      newRanges[piece] = [i, rn, p, pn];
      i += rn;
      p += pn;
      continue;
    }
    const seg = piece;
    const rebase = (v: number) => (v === NONE ? v : v + sBase);
    seg.ids.copy(ids, i * 32);
    for (let r = 0; r < seg.n * FIELDS; r++) {
      const col = r % FIELDS;
      fields[i * FIELDS + r] = col === 2 || col === 6 ? seg.fields[r]! : rebase(seg.fields[r]!);
    }
    seg.pids.copy(pids, p * 32);
    for (let k = 0; k < seg.p; k++) proles[p + k] = seg.proles[k]! + sBase;
    for (let k = 0; k < seg.m; k++) offsets[sBase + k] = seg.offsets[k]! + bBase;
    for (const [rest, reason] of Object.entries(seg.broken)) broken[seg.fan + rest] = reason;
    newRanges[seg.fan] = [i, seg.n, p, seg.p];
    blobs.push(seg.blob);
    i += seg.n;
    p += seg.p;
    sBase += seg.m;
    bBase += seg.blob.length;
  }
  offsets[m] = bBase;
  return { fan: '', n, p: np, m, broken, ranges: newRanges, ids, fields, pids, proles, offsets, blob: Buffer.concat(blobs, bBase) };
}

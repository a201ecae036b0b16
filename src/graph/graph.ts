// The DAG as the index sees it: version lines (kind, name), heads, children (reverse
// edges) and alias chains, derived from the binary structure of the index. `get` gives a
// record's structure (kind, name, version, created, parents); `full` and `fullSummaries`
// give every indexed field, read from the JSON shards only when a command needs them.
import { isVersioned, type Parent } from '../records/record.js';
import type { StoreLayout } from '../store/location.js';
import { loadStructure, readFanSummaries } from './index-cache.js';
import type { Structure } from './segment.js';
import type { Summary } from './summary.js';

export interface Edge {
  role: string;
  id: string;
}

/** What every graph command can know cheaply about a record. */
export interface Node {
  kind: string;
  name?: string;
  version?: number;
  created: string;
  parents: Parent[];
  /** alias records: the alias name, and the target (null when removed) */
  alias?: string;
  target?: string | null;
  /** the code commit, if recorded */
  commit?: string;
}

export function lineKey(kind: string, name: string): string {
  return `${kind}\u0000${name}`;
}

export class Graph {
  private readonly st: Structure;
  private readonly layout: StoreLayout;
  private nodes = new Map<number, Node>();
  private linesCache?: Map<string, number[]>;
  private fanCache = new Map<string, Record<string, Summary | string>>();
  /** scratch buffer for id lookups (no allocation per lookup) */
  private readonly key = Buffer.alloc(32);

  constructor(layout: StoreLayout) {
    this.layout = layout;
    this.st = loadStructure(layout);
  }

  /** Position of an id in the sorted id table, or -1 (no allocation per lookup). */
  indexOf(id: string): number {
    if (id.length !== 64) return -1;
    if (this.key.write(id, 'hex') !== 32) return -1;
    return this.indexOfAt(this.key, 0);
  }

  /** open-addressing hash table over the ids' bytes 4–7: slot → position + 1 (0 empty) */
  private slots?: Int32Array;

  private hashTable(): Int32Array {
    if (!this.slots) {
      const ids = this.st.ids;
      let size = 1;
      while (size < this.st.count * 2) size <<= 1;
      const slots = new Int32Array(Math.max(size, 2));
      const mask = slots.length - 1;
      for (let i = 0; i < this.st.count; i++) {
        const o = i * 32 + 4;
        let h = (ids[o]! | (ids[o + 1]! << 8) | (ids[o + 2]! << 16) | (ids[o + 3]! << 24)) & mask;
        while (slots[h] !== 0) h = (h + 1) & mask;
        slots[h] = i + 1;
      }
      this.slots = slots;
    }
    return this.slots;
  }

  /** Position of the 32-byte id stored at `buf[offset…]`, or -1. */
  indexOfAt(buf: Buffer, offset: number): number {
    const slots = this.hashTable();
    const mask = slots.length - 1;
    const o = offset + 4;
    let h = (buf[o]! | (buf[o + 1]! << 8) | (buf[o + 2]! << 16) | (buf[o + 3]! << 24)) & mask;
    for (;;) {
      const v = slots[h]!;
      if (v === 0) return -1;
      if (buf.compare(this.st.ids, (v - 1) * 32, v * 32, offset, offset + 32) === 0) return v - 1;
      h = (h + 1) & mask;
    }
  }

  /** Positions of the parents of the record at position i (missing parents left out), with roles. */
  parentsAt(i: number): Array<{ role: string; at: number; id: string }> {
    const st = this.st;
    const out: Array<{ role: string; at: number; id: string }> = [];
    for (let p = st.parentStart[i]!; p < st.parentStart[i]! + st.parentCount(i); p++) {
      out.push({ role: st.parentRole(p), at: this.indexOfAt(st.parentIds, p * 32), id: st.parentIds.toString('hex', p * 32, p * 32 + 32) });
    }
    return out;
  }

  /** Positions of the records that name the record at position j as a parent, with roles. */
  childrenAt(j: number): Array<{ role: string; at: number }> {
    const { start, entries, owner } = this.reverse;
    const out: Array<{ role: string; at: number }> = [];
    for (let k = start[j]!; k < start[j + 1]!; k++) out.push({ role: this.st.parentRole(entries[k]!), at: owner[entries[k]!]! });
    return out;
  }

  kindAt(i: number): string {
    return this.st.kind(i);
  }

  commitAt(i: number): string | undefined {
    return this.st.kind(i) === 'alias' ? undefined : this.st.extra(i);
  }

  /** The lineage view of the record at position i. */
  describeAt(i: number): { id: string; kind: string; name?: string; version?: number; label: string; facts: Record<string, string | number | boolean> } {
    const st = this.st;
    const id = this.idAt(i);
    const kind = st.kind(i);
    const name = st.name(i);
    const version = st.version(i) || undefined;
    return { id, kind, ...(name !== undefined ? { name } : {}), ...(version !== undefined ? { version } : {}), label: this.labelAt(i), facts: JSON.parse(st.facts(i)) as Record<string, string | number | boolean> };
  }

  private labelAt(i: number): string {
    const st = this.st;
    const kind = st.kind(i);
    const name = st.name(i);
    if (kind === 'alias') return `alias ${name}@${st.extra(i)}`;
    if (name === undefined) return kind;
    return st.version(i) ? `${kind} ${name}@${st.version(i)}` : `${kind} ${name}`;
  }

  idAt(i: number): string {
    return this.st.ids.toString('hex', i * 32, i * 32 + 32);
  }

  *ids(): Generator<string> {
    for (let i = 0; i < this.st.count; i++) yield this.idAt(i);
  }

  private nodeAt(i: number): Node {
    let n = this.nodes.get(i);
    if (!n) {
      const st = this.st;
      const parents: Parent[] = [];
      for (let p = st.parentStart[i]!; p < st.parentStart[i]! + st.parentCount(i); p++) {
        parents.push({ role: st.parentRole(p), id: st.parentIds.toString('hex', p * 32, p * 32 + 32) });
      }
      n = { kind: st.kind(i), name: st.name(i), created: st.created(i), parents };
      if (st.version(i)) n.version = st.version(i);
      const extra = st.extra(i);
      if (n.kind !== 'alias' && extra) n.commit = extra;
      if (n.kind === 'alias') {
        n.alias = extra;
        n.target = parents.find((p) => p.role === 'target')?.id ?? null;
      }
      this.nodes.set(i, n);
    }
    return n;
  }

  get(id: string): Node | undefined {
    const i = this.indexOf(id);
    return i < 0 ? undefined : this.nodeAt(i);
  }

  /** Every indexed field of one record (reads its shard once). */
  full(id: string): Summary | undefined {
    const fan = id.slice(0, 2);
    let shard = this.fanCache.get(fan);
    if (!shard) {
      shard = readFanSummaries(this.layout, fan);
      this.fanCache.set(fan, shard);
    }
    const s = shard[id.slice(2)];
    return typeof s === 'string' ? undefined : s;
  }

  /** Every indexed field of every record (reads all shards). */
  fullSummaries(): Map<string, Summary> {
    const out = new Map<string, Summary>();
    for (let i = 0; i < this.st.count; i++) {
      const id = this.idAt(i);
      const s = this.full(id);
      if (s) out.set(id, s);
    }
    return out;
  }

  /** (kind, name) → positions of that version line, plus alias chains keyed as ("alias", name@alias). */
  private get lineIndex(): Map<string, number[]> {
    if (!this.linesCache) {
      const lines = new Map<string, number[]>();
      const st = this.st;
      for (let i = 0; i < st.count; i++) {
        const name = st.name(i);
        if (name === undefined) continue;
        const kind = st.kind(i);
        let key: string | undefined;
        if (kind === 'alias') key = st.extra(i) !== undefined ? lineKey('alias', `${name}@${st.extra(i)}`) : undefined;
        else if (isVersioned(kind)) key = lineKey(kind, name);
        if (key === undefined) continue;
        const list = lines.get(key);
        if (list) list.push(i);
        else lines.set(key, [i]);
      }
      this.linesCache = lines;
    }
    return this.linesCache;
  }

  private namedCache = new Map<string, number[]>();

  /** Positions in the line (kind, name); alias chains as ('alias', 'name@alias'). Cheap without the full line index. */
  private members(kind: string, name: string): number[] {
    if (this.linesCache) return this.linesCache.get(lineKey(kind, name)) ?? [];
    let thing = name;
    let alias: string | undefined;
    if (kind === 'alias') {
      const at = name.lastIndexOf('@');
      thing = name.slice(0, at);
      alias = name.slice(at + 1);
    }
    let named = this.namedCache.get(thing);
    if (!named) {
      named = this.st.named(thing);
      this.namedCache.set(thing, named);
    }
    return named.filter((i) => this.st.kind(i) === kind && (alias === undefined || this.st.extra(i) === alias));
  }

  /** The line keys present: `kind\0name` (alias chains as `alias\0name@alias`). */
  lineKeys(): string[] {
    return [...this.lineIndex.keys()];
  }

  private childIndex?: { start: Uint32Array; entries: Uint32Array; owner: Uint32Array };

  /** Reverse edges in compressed form: for each record, the parent entries that name it. */
  private get reverse() {
    if (!this.childIndex) {
      const st = this.st;
      const total = st.parentIds.length / 32;
      const owner = new Uint32Array(total);
      const target = new Int32Array(total);
      const counts = new Uint32Array(st.count + 1);
      for (let i = 0; i < st.count; i++) {
        for (let p = st.parentStart[i]!; p < st.parentStart[i]! + st.parentCount(i); p++) {
          owner[p] = i;
          const j = this.indexOfAt(st.parentIds, p * 32);
          target[p] = j;
          if (j >= 0) counts[j + 1]!++;
        }
      }
      for (let i = 0; i < st.count; i++) counts[i + 1]! += counts[i]!;
      const fill = counts.slice(0, st.count);
      const entries = new Uint32Array(counts[st.count]!);
      for (let p = 0; p < total; p++) if (target[p]! >= 0) entries[fill[target[p]!]!++] = p;
      this.childIndex = { start: counts, entries, owner };
    }
    return this.childIndex;
  }

  /** The records that name `id` as a parent, with the role. */
  childrenOf(id: string): Edge[] {
    const j = this.indexOf(id);
    return j < 0 ? [] : this.childrenAt(j).map((c) => ({ role: c.role, id: this.idAt(c.at) }));
  }

  private newestFirst(a: number, b: number): number {
    const st = this.st;
    const dv = st.version(b) - st.version(a);
    if (dv !== 0) return dv;
    const dc = st.created(b).localeCompare(st.created(a));
    return dc !== 0 ? dc : this.st.ids.compare(this.st.ids, a * 32, a * 32 + 32, b * 32, b * 32 + 32);
  }

  /** Ids of a line, newest version first (ties by created, then id, for a stable order). */
  line(kind: string, name: string): string[] {
    return [...this.members(kind, name)].sort((a, b) => this.newestFirst(a, b)).map((i) => this.idAt(i));
  }

  /** The versions of a line that no later version of the same line names as `previous`. */
  heads(kind: string, name: string): string[] {
    const members = this.members(kind, name);
    const inLine = new Set(members);
    const superseded = new Set<number>();
    const st = this.st;
    for (const i of members) {
      for (let p = st.parentStart[i]!; p < st.parentStart[i]! + st.parentCount(i); p++) {
        if (st.parentRole(p) !== 'previous') continue;
        const j = this.indexOfAt(st.parentIds, p * 32);
        if (j >= 0 && inLine.has(j)) superseded.add(j);
      }
    }
    return members.filter((i) => !superseded.has(i)).sort((a, b) => this.newestFirst(a, b)).map((i) => this.idAt(i));
  }

  /** Versioned kinds that have a line with this name. */
  kindsNamed(name: string): string[] {
    let named = this.namedCache.get(name);
    if (!named) {
      named = this.st.named(name);
      this.namedCache.set(name, named);
    }
    const kinds = new Set<string>();
    for (const i of named) {
      const kind = this.st.kind(i);
      if (isVersioned(kind)) kinds.add(kind);
    }
    return [...kinds].sort();
  }

  label(id: string): string {
    const i = this.indexOf(id);
    return i < 0 ? id.slice(0, 12) : this.labelAt(i);
  }
}

// Lineage walks over the index: ancestors ("what made this model?"), descendants ("what did
// this dataset feed?"), or both, multi-hop across every version. All edges are followed,
// `previous` included, so the answer is a superset an auditor can rely on: a model
// fine-tuned from a version trained on a dataset descends from that dataset too.
// Code commits appear as nodes (`commit:<sha>`). Alias records are bookkeeping, not
// provenance, and are left out. Each node appears once, however many paths reach it.
import { MlmetaError } from '../errors.js';
import type { Described, Graph, WalkLinks } from './graph.js';

export type Direction = 'up' | 'down' | 'both';

export interface LineageNode {
  id: string;
  kind: string;
  name?: string;
  version?: number;
  label: string;
  /** hops from the start (negative: ancestors, positive: descendants) */
  depth: number;
  facts: Record<string, string | number | boolean>;
}

export interface LineageEdge {
  /** the parent */
  from: string;
  /** the child */
  to: string;
  role: string;
}

export interface Lineage {
  root: string;
  /** the kind filter, when one was applied (edges are then only those between kept nodes) */
  filtered?: string;
  nodes: LineageNode[];
  edges: LineageEdge[];
}

export interface LineageOptions {
  direction?: Direction;
  depth?: number;
  /** keep only nodes of this kind (the root is always kept) */
  kind?: string;
}

/** Up to this --depth a walk asks one query per level; deeper or unbounded, one recursive query. */
const PER_LEVEL_UP_TO = 8;

/** What a plan's node is: a record (its view in a walk's text), a code commit, or a parent not in the store. */
export const RECORD = 0;
export const COMMIT = 1;
export const MISSING = 2;
/** Which walks have been through a node: ancestors, descendants. */
const UP = 1;
const DOWN = 2;
/** An edge's role set for a code commit's edge (its role is `code`). */
export const CODE = -1;

/** Typed arrays made larger, keeping what they hold. */
function grown<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  if (a.length >= size) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(size, a.length * 2));
  b.set(a);
  return b;
}

/**
 * lineageOf's answer before its nodes and edges are objects: numbers that point into the
 * walks' texts (graph.ts WalkLinks), nodes numbered in the order the walk found them. `--json`
 * output copies each record's view from that text (render/lineage.ts). Nodes and edges are
 * columns of typed arrays, outside V8's heap: a 10,000-node walk made as objects kept tens of
 * thousands of them alive for the garbage collector to copy and grew its young generation, and
 * each page of fresh memory costs ~20 µs on this VM (docs/BENCH.md). The walk's only strings
 * per node are the keys it looks up.
 */
export class LineagePlan {
  /** the walks' links: [0] the root's own (a link from the root to itself), then one per step (or one for a whole walk) */
  readonly links: WalkLinks[];
  nodeCount = 0;
  /** per node: RECORD, COMMIT or MISSING */
  kinds = new Uint8Array(16);
  /** per node: the link whose text holds it (links[sets[i]], link ats[i]): a record's view, a commit's sha, a missing parent's id; set -1: the root, not in the index */
  sets = new Int32Array(16);
  ats = new Int32Array(16);
  depths = new Int32Array(16);
  edgeCount = 0;
  /** per edge: parent and child as nodes, the role as a link's (set CODE: a code commit's edge) */
  edgeFrom = new Int32Array(16);
  edgeTo = new Int32Array(16);
  edgeSet = new Int32Array(16);
  edgeAt = new Int32Array(16);
  /** the nodes and edges shown, in order (after the kind filter) */
  order = new Int32Array(0);
  edges = new Int32Array(0);

  constructor(readonly root: string, start: WalkLinks, readonly filtered?: string) {
    this.links = [start];
  }

  /** Room for this many nodes and edges in all. */
  reserve(nodes: number, edges: number): void {
    if (nodes > this.kinds.length) {
      this.kinds = grown(this.kinds, nodes);
      this.sets = grown(this.sets, nodes);
      this.ats = grown(this.ats, nodes);
      this.depths = grown(this.depths, nodes);
    }
    if (edges > this.edgeFrom.length) {
      this.edgeFrom = grown(this.edgeFrom, edges);
      this.edgeTo = grown(this.edgeTo, edges);
      this.edgeSet = grown(this.edgeSet, edges);
      this.edgeAt = grown(this.edgeAt, edges);
    }
  }

  addNode(kind: number, set: number, at: number, depth: number): number {
    const i = this.nodeCount++;
    this.reserve(i + 1, 0);
    this.kinds[i] = kind;
    this.sets[i] = set;
    this.ats[i] = at;
    this.depths[i] = depth;
    return i;
  }

  addEdge(from: number, to: number, set: number, at: number): void {
    const e = this.edgeCount++;
    this.reserve(0, e + 1);
    this.edgeFrom[e] = from;
    this.edgeTo[e] = to;
    this.edgeSet[e] = set;
    this.edgeAt[e] = at;
  }

  /** The links holding node i's text (null: the root, not in the index). */
  linksOf(i: number): WalkLinks | null {
    const set = this.sets[i]!;
    return set < 0 ? null : this.links[set]!;
  }

  id(i: number): string {
    const links = this.linksOf(i);
    if (links === null) return this.root;
    const at = this.ats[i]!;
    return this.kinds[i] === COMMIT ? `commit:${links.commit(at)!}` : links.id(at);
  }

  kind(i: number): string {
    const kind = this.kinds[i];
    return kind === RECORD ? this.links[this.sets[i]!]!.kind(this.ats[i]!)! : kind === COMMIT ? 'commit' : 'missing';
  }

  label(i: number): string {
    const kind = this.kinds[i];
    if (kind === RECORD) return this.links[this.sets[i]!]!.label(this.ats[i]!);
    if (kind === COMMIT) return `commit ${this.links[this.sets[i]!]!.commit(this.ats[i]!)!.slice(0, 10)}`;
    return `missing ${this.id(i).slice(0, 12)}`;
  }

  /** A record node's view as compact JSON (null: a commit or a missing record). */
  view(i: number): string | null {
    return this.kinds[i] === RECORD ? this.links[this.sets[i]!]!.view(this.ats[i]!) : null;
  }

  edgeRole(e: number): string {
    const set = this.edgeSet[e]!;
    return set === CODE ? 'code' : this.links[set]!.role(this.edgeAt[e]!);
  }
}

export function lineageOf(graph: Graph, root: string, opts: LineageOptions = {}): Lineage {
  const plan = lineagePlan(graph, root, opts);
  const nodes = Array.from(plan.order, (i): LineageNode => {
    const view = plan.view(i);
    const depth = plan.depths[i]!;
    return view === null ? { id: plan.id(i), kind: plan.kind(i), label: plan.label(i), depth, facts: {} } : { ...(JSON.parse(view) as Described), depth };
  });
  const edges = Array.from(plan.edges, (e): LineageEdge => ({ from: plan.id(plan.edgeFrom[e]!), to: plan.id(plan.edgeTo[e]!), role: plan.edgeRole(e) }));
  return { root, ...(plan.filtered !== undefined ? { filtered: plan.filtered } : {}), nodes, edges };
}

/**
 * A step's links grouped by the record walked from, each group in the order lineage follows
 * them: parents by position; children by id, then position. The group of the record whose walk
 * key is n (`group.get(n)`, g; the key's decimal text) is links order[start[g] .. start[g + 1]).
 */
interface Groups {
  group: Map<string, number>;
  start: Int32Array;
  order: Int32Array;
}

function groupsOf(links: WalkLinks, up: boolean): Groups {
  const group = new Map<string, number>();
  const of = new Int32Array(links.count);
  const start = new Int32Array(links.count + 2);
  for (let i = 0; i < links.count; i++) {
    const key = links.fromKey(i);
    let g = group.get(key);
    if (g === undefined) group.set(key, (g = group.size));
    of[i] = g;
    start[g + 2]!++;
  }
  // a counting sort by group, keeping each group's links in text order
  for (let g = 2; g <= group.size + 1; g++) start[g]! += start[g - 1]!;
  const order = new Int32Array(links.count);
  for (let i = 0; i < links.count; i++) order[start[of[i]! + 1]!++] = i;
  for (let g = 0; g < group.size; g++) {
    const from = start[g]!;
    const to = start[g + 1]!;
    if (to - from < 2) continue;
    const members = order.subarray(from, to);
    if (!up) members.sort((x, y) => links.compareIds(x, y) || links.pos(x) - links.pos(y));
    else {
      // SQLite reads a record's parents by position already: sorted only if not
      for (let k = from + 1; k < to; k++) {
        if (links.pos(order[k - 1]!) < links.pos(order[k]!)) continue;
        members.sort((x, y) => links.pos(x) - links.pos(y));
        break;
      }
    }
  }
  return { group, start, order };
}

/** A step: its links (plan.links[set]) and their groups. */
interface Step {
  set: number;
  groups: Groups;
}

/** lineageOf's answer with each record's view left in the walk's text. */
export function lineagePlan(graph: Graph, root: string, opts: LineageOptions = {}): LineagePlan {
  const direction = opts.direction ?? 'up';
  // `--depth abc` arrives as NaN: refuse it (and negatives) as `find --limit` does.
  if (opts.depth !== undefined && (!Number.isInteger(opts.depth) || opts.depth < 0)) {
    throw new MlmetaError('E_USAGE', '--depth must be a whole number of hops (0 or more)');
  }
  const maxDepth = opts.depth ?? Infinity;
  // the root as a link to itself, so every node is a link's other end
  const start = graph.walkStart(root);
  if (start.count === 0) {
    const plan = new LineagePlan(root, start);
    plan.order = Int32Array.of(plan.addNode(MISSING, -1, 0, 0));
    return plan;
  }
  const plan = new LineagePlan(root, start, opts.kind);
  new Walker(graph, plan, maxDepth).walk(direction);
  settle(plan, opts.kind);
  return plan;
}

/** Breadth first from the root over the links each step gives for a whole frontier, up, down or both. */
class Walker {
  /** records and stubs found, by walk key (a key is one id: nodes.id is unique) */
  private readonly byKey = new Map<string, number>();
  /** code commits found, by their quoted text */
  private readonly commits = new Map<string, number>();
  /** per node: its walk key ('' for a commit), which walks have been through it (UP, DOWN) */
  private readonly keys: string[] = [];
  private walked = new Uint8Array(16);

  constructor(private readonly graph: Graph, private readonly plan: LineagePlan, private readonly maxDepth: number) {
    const root = this.add(RECORD, 0, 0, 0, plan.links[0]!.fromKey(0));
    this.walked[root] = UP | DOWN;
  }

  private add(kind: number, set: number, at: number, depth: number, key: string): number {
    const i = this.plan.addNode(kind, set, at, depth);
    this.walked = grown(this.walked, i + 1);
    this.keys.push(key);
    this.walked[i] = 0;
    if (kind !== COMMIT) this.byKey.set(key, i);
    return i;
  }

  walk(direction: Direction): void {
    if (direction !== 'down') this.direction(true);
    if (direction !== 'up') this.direction(false);
  }

  /**
   * Unbounded (or deep) walks fetch every link they follow in one recursive query
   * (Graph.walk): a 10,000-deep chain is one statement, not 10,000. A shallow --depth asks one
   * indexed query per level instead, so it stops early in a big graph.
   */
  private stepper(up: boolean): (frontier: Int32Array, size: number) => Step {
    const dir = up ? 'up' : 'down';
    const stepOf = (links: WalkLinks): Step => {
      const { plan } = this;
      plan.links.push(links);
      // at most a node and an edge per link, and a commit node and edge per record
      const nodes = plan.nodeCount + 2 * links.count + 1;
      plan.reserve(nodes, plan.edgeCount + 2 * links.count + 1);
      this.walked = grown(this.walked, nodes);
      return { set: plan.links.length - 1, groups: groupsOf(links, up) };
    };
    if (this.maxDepth <= PER_LEVEL_UP_TO) return (frontier, size) => stepOf(this.graph.step(Array.from(frontier.subarray(0, size), (i) => Number(this.keys[i]!)), dir));
    const all = stepOf(this.graph.walk(Number(this.keys[0]!), dir));
    return () => all;
  }

  private direction(up: boolean): void {
    const { plan } = this;
    const bit = up ? UP : DOWN;
    const step = this.stepper(up);
    // the records walked from (at first the root, node 0) and those found, swapped at each level
    let frontier = new Int32Array(16);
    let next = new Int32Array(16);
    let size = 1;
    for (let d = 1; size > 0 && d <= this.maxDepth; d++) {
      const { set, groups } = step(frontier, size);
      const links = plan.links[set]!;
      const depth = up ? -d : d;
      let nextSize = 0;
      for (let f = 0; f < size; f++) {
        const node = frontier[f]!;
        if (up) this.commitOf(node, depth);
        const g = groups.group.get(this.keys[node]!);
        if (g === undefined) continue;
        const first = groups.start[g]!;
        const end = groups.start[g + 1]!;
        const repeats = end - first > 1 ? new Repeats(links, groups.order, first, up) : null;
        for (let k = first; k < end; k++) {
          const l = groups.order[k]!;
          const stub = links.isStub(l);
          if (stub ? !up : links.isAlias(l)) continue;
          if (repeats?.repeated(k)) continue;
          const key = links.otherKey(l);
          let other = this.byKey.get(key);
          if (stub) {
            if (other === undefined) other = this.add(MISSING, set, l, depth, key);
          } else if (other === undefined || !(this.walked[other]! & bit)) {
            if (other === undefined) other = this.add(RECORD, set, l, depth, key);
            this.walked[other]! |= bit;
            next = grown(next, nextSize + 1);
            next[nextSize++] = other;
          }
          if (up) plan.addEdge(other, node, set, l);
          else plan.addEdge(node, other, set, l);
        }
      }
      const walked = frontier;
      frontier = next;
      next = walked;
      size = nextSize;
    }
  }

  /** A record's code commit as a node (one per sha) and its edge, as the link that reached the record holds it. */
  private commitOf(node: number, depth: number): void {
    const { plan } = this;
    const set = plan.sets[node]!;
    const at = plan.ats[node]!;
    const links = plan.links[set]!;
    if (!links.hasCommit(at)) return;
    const sha = links.commitText(at);
    let c = this.commits.get(sha);
    if (c === undefined) this.commits.set(sha, (c = this.add(COMMIT, set, at, depth, '')));
    plan.addEdge(c, node, CODE, 0);
  }
}

/**
 * A parent named twice in the same role is one edge. Each record is walked from once per
 * direction, and no record is its own ancestor, so only a record's own links (one group) can
 * repeat; a link skipped before this check (an alias, a stub below a record) goes to the same
 * record as its repeats, which are skipped alike.
 */
class Repeats {
  /** a big group's (other end, role) pairs so far, when its parents are in position order */
  private seen?: Set<string>;

  constructor(private readonly links: WalkLinks, private readonly order: Int32Array, private readonly first: number, private readonly up: boolean) {}

  /** Whether the link at order[k] goes to the same record in the same role as an earlier one of its group. */
  repeated(k: number): boolean {
    const { links, order, first } = this;
    const l = order[k]!;
    const other = links.otherKey(l);
    const role = links.roleText(l);
    if (!this.up) {
      // children are in id order: a repeat is among the links just before
      for (let j = k - 1; j >= first && links.otherKey(order[j]!) === other; j--) if (links.roleText(order[j]!) === role) return true;
      return false;
    }
    if (k - first < 16) {
      for (let j = first; j < k; j++) if (links.otherKey(order[j]!) === other && links.roleText(order[j]!) === role) return true;
      return false;
    }
    // a long group (a record with many parents): its pairs go in a set
    const seen = (this.seen ??= new Set(Array.from(order.subarray(first, k), (j) => `${links.otherKey(j)} ${links.roleText(j)}`)));
    return seen.size === seen.add(`${other} ${role}`).size;
  }
}

/** The kind filter, and the nodes in their printed order: nearest first, then by label, then by id. */
function settle(plan: LineagePlan, kind: string | undefined): void {
  const count = plan.nodeCount;
  const keep = kind === undefined ? null : keptKinds(plan, kind);
  const { depths } = plan;
  // nodes by distance (a counting sort keeps the walk's order within one), then each distance sorted
  let far = 0;
  for (let i = 0; i < count; i++) if (!keep || keep[i]) far = Math.max(far, Math.abs(depths[i]!));
  const start = new Int32Array(far + 2);
  for (let i = 0; i < count; i++) if (!keep || keep[i]) start[Math.abs(depths[i]!) + 1]!++;
  for (let d = 1; d <= far + 1; d++) start[d]! += start[d - 1]!;
  const order = new Int32Array(start[far + 1]!);
  const at = start.slice();
  for (let i = 0; i < count; i++) if (!keep || keep[i]) order[at[Math.abs(depths[i]!)]!++] = i;
  const sorter = new Sorter(plan);
  for (let d = 0; d <= far; d++) if (start[d + 1]! - start[d]! > 1) sorter.sort(order, start[d]!, start[d + 1]!);
  plan.order = order;
  let edges = plan.edgeCount;
  if (keep) {
    edges = 0;
    for (let e = 0; e < plan.edgeCount; e++) if (keep[plan.edgeFrom[e]!] && keep[plan.edgeTo[e]!]) edges++;
  }
  plan.edges = new Int32Array(edges);
  for (let e = 0, k = 0; e < plan.edgeCount; e++) if (!keep || (keep[plan.edgeFrom[e]!] && keep[plan.edgeTo[e]!])) plan.edges[k++] = e;
}

/** Per node, whether the kind filter keeps it (the root always). */
function keptKinds(plan: LineagePlan, kind: string): Uint8Array {
  const keep = new Uint8Array(plan.nodeCount);
  // a view's kind is JSON.stringify's text (rows.ts), as `quoted` is
  const quoted = JSON.stringify(kind);
  keep[0] = 1;
  for (let i = 1; i < keep.length; i++) {
    const k = plan.kinds[i];
    if (k === RECORD) keep[i] = plan.links[plan.sets[i]!]!.kindIs(plan.ats[i]!, quoted) ? 1 : 0;
    else keep[i] = kind === (k === COMMIT ? 'commit' : 'missing') ? 1 : 0;
  }
  return keep;
}

/**
 * Sorts the nodes at one distance by label, then id, as localeCompare orders them, and then in
 * walk order (the order they had: the old sort was stable). Intl.Collator costs ~9 ms to make
 * here, so it is made only when two nodes share a distance. (Putting a big distance first in a
 * cheap order close to the collator's, so that TimSort would compare each node about once, was
 * slower: the cheap comparison runs as unoptimised JavaScript, the collator's is native.)
 */
class Sorter {
  private compare?: (a: string, b: string) => number;

  constructor(private readonly plan: LineagePlan) {}

  sort(order: Int32Array, from: number, to: number): void {
    const compare = (this.compare ??= new Intl.Collator().compare);
    const plan = this.plan;
    if (to - from === 2) {
      // most distances of a version chain: a record and its commit
      const a = order[from]!;
      const b = order[from + 1]!;
      if ((compare(plan.label(a), plan.label(b)) || compare(plan.id(a), plan.id(b))) > 0) {
        order[from] = b;
        order[from + 1] = a;
      }
      return;
    }
    // nodes at one distance are in walk order: a tie of label and id keeps it
    const members = Array.from(order.subarray(from, to));
    const labels = members.map((i) => plan.label(i));
    const ranks = members.map((_, k) => k);
    ranks.sort((a, b) => compare(labels[a]!, labels[b]!) || compare(plan.id(members[a]!), plan.id(members[b]!)) || a - b);
    for (let k = 0; k < ranks.length; k++) order[from + k] = members[ranks[k]!]!;
  }
}

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

/**
 * A node as the walk finds it. A record's view stays in the walk's text (graph.ts WalkLinks):
 * `--json` output splices it (render/lineage.ts), so a 10,000-node answer is not parsed into
 * objects only to be printed again.
 */
export interface FoundNode {
  id: string;
  kind: string;
  label: string;
  depth: number;
  /** the walk's links holding the record's view, and which link (null: a code commit, or a record not in the store) */
  links: WalkLinks | null;
  i: number;
}

/** The view of a found record as compact JSON (null: a code commit or a missing record). */
export const viewOf = (n: FoundNode): string | null => n.links && n.links.view(n.i);

/** A lineage before its nodes are objects: nodes in their final order, edges as in Lineage. */
export interface LineagePlan {
  root: string;
  filtered?: string;
  nodes: FoundNode[];
  edges: LineageEdge[];
}

export function lineageOf(graph: Graph, root: string, opts: LineageOptions = {}): Lineage {
  const plan = lineagePlan(graph, root, opts);
  const nodes = plan.nodes.map((n): LineageNode => {
    const view = viewOf(n);
    return view === null ? { id: n.id, kind: n.kind, label: n.label, depth: n.depth, facts: {} } : { ...(JSON.parse(view) as Described), depth: n.depth };
  });
  return { root, ...(plan.filtered !== undefined ? { filtered: plan.filtered } : {}), nodes, edges: plan.edges };
}

/** The links of each record walked from (by walk key), in the order lineage follows them: parents by position; children by id, then position. */
function byFrom(links: WalkLinks, direction: 'up' | 'down'): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < links.count; i++) {
    const from = links.from(i);
    const group = groups.get(from);
    if (group) group.push(i);
    else groups.set(from, [i]);
  }
  for (const [from, group] of groups) {
    if (group.length === 1) continue;
    if (direction === 'up') group.sort((x, y) => links.pos(x) - links.pos(y));
    else {
      // each id read once, not once per comparison (a dataset feeding 10,000 models is one group)
      const keyed = group.map((i) => ({ i, id: links.id(i), pos: links.pos(i) }));
      keyed.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : x.pos - y.pos));
      groups.set(from, keyed.map((k) => k.i));
    }
  }
  return groups;
}

/** One step's links: where they are, and each record's in walk order. */
interface Step {
  links: WalkLinks;
  from: Map<number, number[]>;
}

/** lineageOf's answer with each record's view left in the walk's text. */
export function lineagePlan(graph: Graph, root: string, opts: LineageOptions = {}): LineagePlan {
  const direction = opts.direction ?? 'up';
  // `--depth abc` arrives as NaN: refuse it (and negatives) as `find --limit` does.
  if (opts.depth !== undefined && (!Number.isInteger(opts.depth) || opts.depth < 0)) {
    throw new MlmetaError('E_USAGE', '--depth must be a whole number of hops (0 or more)');
  }
  const maxDepth = opts.depth ?? Infinity;
  const nodes = new Map<string, FoundNode>();
  const edges: LineageEdge[] = [];
  // Each record is walked from once per direction (and no record is its own ancestor), so an
  // edge can repeat only among one record's links: a parent named twice in the same role.
  const repeats = new Set<string>();
  const repeated = (group: number[], links: WalkLinks, l: number) => {
    if (group.length === 1) return false;
    const key = `${links.other(l)} ${links.role(l)}`;
    return repeats.size === repeats.add(key).size;
  };
  const missing = (id: string, depth: number): FoundNode => ({ id, kind: 'missing', label: `missing ${id.slice(0, 12)}`, depth, links: null, i: 0 });
  const found = (links: WalkLinks, i: number, id: string, kind: string, depth: number): FoundNode => ({ id, kind, label: links.label(i), depth, links, i });
  // the root as a link to itself, so a frontier is links throughout
  const start = graph.walkStart(root);
  if (start.count === 0) {
    return { root, nodes: [missing(root, 0)], edges: [] };
  }
  const rootN = start.from(0);
  nodes.set(root, found(start, 0, root, start.kind(0)!, 0));
  /** A frontier: the records walked from, each as the link that reached it (its id beside it). */
  type Frontier = Array<{ links: WalkLinks; i: number; id: string }>;
  // Breadth first over the links a step gives for a whole frontier. Unbounded (or deep) walks
  // fetch every link they follow in one recursive query (Graph.walk): a 10,000-deep chain is
  // one statement, not 10,000. A shallow --depth asks one indexed query per level instead,
  // so it stops early in a big graph.
  const stepper = (direction: 'up' | 'down'): ((frontier: Frontier) => Step) => {
    if (maxDepth <= PER_LEVEL_UP_TO) {
      return (frontier) => {
        const links = graph.step(frontier.map((f) => f.links.other(f.i)), direction);
        return { links, from: byFrom(links, direction) };
      };
    }
    const links = graph.walk(rootN, direction);
    const all = { links, from: byFrom(links, direction) };
    return () => all;
  };
  const rootFrontier: Frontier = [{ links: start, i: 0, id: root }];
  if (direction === 'up' || direction === 'both') {
    let frontier = rootFrontier;
    const seen = new Set<number>([rootN]);
    const step = stepper('up');
    for (let d = 1; frontier.length && d <= maxDepth; d++) {
      const { links, from } = step(frontier);
      const next: Frontier = [];
      for (const child of frontier) {
        const childN = child.links.other(child.i);
        const commit = child.links.commit(child.i);
        if (commit) {
          const c = `commit:${commit}`;
          edges.push({ from: c, to: child.id, role: 'code' });
          if (!nodes.has(c)) nodes.set(c, { id: c, kind: 'commit', label: `commit ${commit.slice(0, 10)}`, depth: -d, links: null, i: 0 });
        }
        const group = from.get(childN) ?? [];
        repeats.clear();
        for (const p of group) {
          const kind = links.kind(p);
          if (kind === 'alias' || repeated(group, links, p)) continue;
          const parentN = links.other(p);
          const parent = links.id(p);
          edges.push({ from: parent, to: child.id, role: links.role(p) });
          if (kind === null) {
            if (!nodes.has(parent)) nodes.set(parent, missing(parent, -d));
            continue;
          }
          if (!seen.has(parentN)) {
            seen.add(parentN);
            if (!nodes.has(parent)) nodes.set(parent, found(links, p, parent, kind, -d));
            next.push({ links, i: p, id: parent });
          }
        }
      }
      frontier = next;
    }
  }
  if (direction === 'down' || direction === 'both') {
    let frontier = rootFrontier;
    const seenDown = new Set<number>([rootN]);
    const step = stepper('down');
    for (let d = 1; frontier.length && d <= maxDepth; d++) {
      const { links, from } = step(frontier);
      const next: Frontier = [];
      for (const parent of frontier) {
        const parentN = parent.links.other(parent.i);
        const group = from.get(parentN) ?? [];
        repeats.clear();
        for (const c of group) {
          const kind = links.kind(c);
          if (kind === null || kind === 'alias' || repeated(group, links, c)) continue;
          const childN = links.other(c);
          const child = links.id(c);
          edges.push({ from: parent.id, to: child, role: links.role(c) });
          if (!seenDown.has(childN)) {
            seenDown.add(childN);
            if (!nodes.has(child)) nodes.set(child, found(links, c, child, kind, d));
            next.push({ links, i: c, id: child });
          }
        }
      }
      frontier = next;
    }
  }
  let nodeList = [...nodes.values()];
  let edgeList = edges;
  if (opts.kind !== undefined) {
    nodeList = nodeList.filter((n) => n.id === root || n.kind === opts.kind);
    const keep = new Set(nodeList.map((n) => n.id));
    edgeList = edgeList.filter((e) => keep.has(e.from) && keep.has(e.to));
  }
  // compare() is localeCompare's own collator (same order), made once rather than per call
  const { compare } = new Intl.Collator();
  nodeList.sort((a, b) => Math.abs(a.depth) - Math.abs(b.depth) || compare(a.label, b.label) || compare(a.id, b.id));
  return { root, ...(opts.kind !== undefined ? { filtered: opts.kind } : {}), nodes: nodeList, edges: edgeList };
}

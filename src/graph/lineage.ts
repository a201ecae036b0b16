// Lineage walks over the index: ancestors ("what made this model?"), descendants ("what did
// this dataset feed?"), or both, multi-hop across every version. All edges are followed,
// `previous` included, so the answer is a superset an auditor can rely on: a model
// fine-tuned from a version trained on a dataset descends from that dataset too.
// Code commits appear as nodes (`commit:<sha>`). Alias records are bookkeeping, not
// provenance, and are left out. Each node appears once, however many paths reach it.
import { MlmetaError } from '../errors.js';
import type { Described, Graph, WalkLink } from './graph.js';

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
 * A node as the walk finds it. A record's view stays the compact JSON text the index holds
 * (graph.ts WalkLink): `--json` output splices it (render/lineage.ts), so a 10,000-node
 * answer is not parsed into objects only to be printed again.
 */
export interface FoundNode {
  id: string;
  kind: string;
  label: string;
  depth: number;
  /** the record's Described as compact JSON (null: a code commit, or a record not in the store) */
  view: string | null;
}

/** A lineage before its nodes are objects: nodes in their final order, edges as in Lineage. */
export interface LineagePlan {
  root: string;
  filtered?: string;
  nodes: FoundNode[];
  edges: LineageEdge[];
}

/**
 * The label in a view's compact JSON (rows.ts: keys id, kind, name?, version?, label, facts).
 * Inside a JSON string every `"` is escaped, so the first `,"label":` and the next
 * `,"facts":` are the view's own keys, whatever the name holds.
 */
function labelIn(view: string): string {
  const from = view.indexOf(',"label":') + 9;
  const literal = view.slice(from, view.indexOf(',"facts":', from));
  return literal.includes('\\') ? (JSON.parse(literal) as string) : literal.slice(1, -1);
}

export function lineageOf(graph: Graph, root: string, opts: LineageOptions = {}): Lineage {
  const plan = lineagePlan(graph, root, opts);
  const nodes = plan.nodes.map((n): LineageNode => (n.view === null
    ? { id: n.id, kind: n.kind, label: n.label, depth: n.depth, facts: {} }
    : { ...(JSON.parse(n.view) as Described), depth: n.depth }));
  return { root, ...(plan.filtered !== undefined ? { filtered: plan.filtered } : {}), nodes, edges: plan.edges };
}

/** The links of each record walked from, in the order lineage follows them: parents by position; children by id, then position. */
function byFrom(links: WalkLink[], direction: 'up' | 'down'): Map<number, WalkLink[]> {
  const groups = new Map<number, WalkLink[]>();
  for (const l of links) {
    const group = groups.get(l[0]);
    if (group) group.push(l);
    else groups.set(l[0], [l]);
  }
  const order = direction === 'up'
    ? (x: WalkLink, y: WalkLink) => x[1] - y[1]
    : (x: WalkLink, y: WalkLink) => (x[4] < y[4] ? -1 : x[4] > y[4] ? 1 : x[1] - y[1]);
  for (const group of groups.values()) if (group.length > 1) group.sort(order);
  return groups;
}

/** lineageOf's answer with each record's view left as the index's JSON text. */
export function lineagePlan(graph: Graph, root: string, opts: LineageOptions = {}): LineagePlan {
  const direction = opts.direction ?? 'up';
  // `--depth abc` arrives as NaN: refuse it (and negatives) as `find --limit` does.
  if (opts.depth !== undefined && (!Number.isInteger(opts.depth) || opts.depth < 0)) {
    throw new MlmetaError('E_USAGE', '--depth must be a whole number of hops (0 or more)');
  }
  const maxDepth = opts.depth ?? Infinity;
  const nodes = new Map<string, FoundNode>();
  const edges: LineageEdge[] = [];
  // an edge between two records is keyed by their walk keys; a code edge is added once per record
  const linkEdges = new Set<string>();
  const addLink = (fromN: number, toN: number, from: string, to: string, role: string) => {
    const key = `${fromN} ${toN} ${role}`;
    if (linkEdges.has(key)) return;
    linkEdges.add(key);
    edges.push({ from, to, role });
  };
  const missing = (id: string, depth: number): FoundNode => ({ id, kind: 'missing', label: `missing ${id.slice(0, 12)}`, depth, view: null });
  const found = (l: WalkLink, depth: number): FoundNode => ({ id: l[4], kind: l[5]!, label: labelIn(l[6]!), depth, view: l[6] });
  const start = graph.walkNode(root);
  if (!start) {
    return { root, nodes: [missing(root, 0)], edges: [] };
  }
  // the root as a link to itself, so a frontier is links throughout (n, id and commit of each record)
  const rootLink: WalkLink = [start[0], 0, start[0], '', root, start[1], start[2], start[3]];
  nodes.set(root, found(rootLink, 0));
  // Breadth first over the links a step gives for a whole frontier. Unbounded (or deep) walks
  // fetch every link they follow in one recursive query (Graph.walk): a 10,000-deep chain is
  // one statement, not 10,000. A shallow --depth asks one indexed query per level instead,
  // so it stops early in a big graph.
  const stepper = (direction: 'up' | 'down'): ((frontier: WalkLink[]) => Map<number, WalkLink[]>) => {
    if (maxDepth <= PER_LEVEL_UP_TO) return (frontier) => byFrom(graph.step(frontier.map((l) => l[2]), direction), direction);
    const all = byFrom(graph.walk(start[0], direction), direction);
    return () => all;
  };
  if (direction === 'up' || direction === 'both') {
    let frontier = [rootLink];
    const seen = new Set<number>([start[0]]);
    const step = stepper('up');
    for (let d = 1; frontier.length && d <= maxDepth; d++) {
      const parents = step(frontier);
      const next: WalkLink[] = [];
      for (const child of frontier) {
        const [, , childN, , id, , , commit] = child;
        if (commit) {
          const c = `commit:${commit}`;
          edges.push({ from: c, to: id, role: 'code' });
          if (!nodes.has(c)) nodes.set(c, { id: c, kind: 'commit', label: `commit ${commit.slice(0, 10)}`, depth: -d, view: null });
        }
        for (const p of parents.get(childN) ?? []) {
          const [, , parentN, role, parent, kind, view] = p;
          if (kind === 'alias') continue;
          addLink(parentN, childN, parent, id, role);
          if (view === null) {
            if (!nodes.has(parent)) nodes.set(parent, missing(parent, -d));
            continue;
          }
          if (!seen.has(parentN)) {
            seen.add(parentN);
            if (!nodes.has(parent)) nodes.set(parent, found(p, -d));
            next.push(p);
          }
        }
      }
      frontier = next;
    }
  }
  if (direction === 'down' || direction === 'both') {
    let frontier = [rootLink];
    const seenDown = new Set<number>([start[0]]);
    const step = stepper('down');
    for (let d = 1; frontier.length && d <= maxDepth; d++) {
      const children = step(frontier);
      const next: WalkLink[] = [];
      for (const [, , parentN, , parent] of frontier) {
        for (const c of children.get(parentN) ?? []) {
          const [, , childN, role, child, kind, view] = c;
          if (view === null || kind === 'alias') continue;
          addLink(parentN, childN, parent, child, role);
          if (!seenDown.has(childN)) {
            seenDown.add(childN);
            if (!nodes.has(child)) nodes.set(child, found(c, d));
            next.push(c);
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

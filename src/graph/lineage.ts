// Lineage walks over the index: ancestors ("what made this model?"), descendants ("what did
// this dataset feed?"), or both, multi-hop across every version. All edges are followed,
// `previous` included, so the answer is a superset an auditor can rely on: a model
// fine-tuned from a version trained on a dataset descends from that dataset too.
// Code commits appear as nodes (`commit:<sha>`). Alias records are bookkeeping, not
// provenance, and are left out. Each node appears once, however many paths reach it.
import { MlmetaError } from '../errors.js';
import type { Graph, WalkStep } from './graph.js';

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

export function lineageOf(graph: Graph, root: string, opts: LineageOptions = {}): Lineage {
  const direction = opts.direction ?? 'up';
  // `--depth abc` arrives as NaN: refuse it (and negatives) as `find --limit` does.
  if (opts.depth !== undefined && (!Number.isInteger(opts.depth) || opts.depth < 0)) {
    throw new MlmetaError('E_USAGE', '--depth must be a whole number of hops (0 or more)');
  }
  const maxDepth = opts.depth ?? Infinity;
  const nodes = new Map<string, LineageNode>();
  const edges = new Map<string, LineageEdge>();
  const addEdge = (from: string, to: string, role: string) => edges.set(`${from}\u0000${to}\u0000${role}`, { from, to, role });
  const missing = (id: string, depth: number): LineageNode => ({ id, kind: 'missing', label: `missing ${id.slice(0, 12)}`, depth, facts: {} });
  const nodeOf = (row: NonNullable<WalkStep['row']>, depth: number): LineageNode => ({ ...row.view, depth });
  const start = graph.walkRow(root);
  if (!start) {
    nodes.set(root, missing(root, 0));
    return { root, nodes: [...nodes.values()], edges: [] };
  }
  nodes.set(root, nodeOf(start, 0));
  // Breadth first over the edges a step gives for a whole frontier. Unbounded (or deep) walks
  // fetch every edge they follow in one recursive query (Graph.walk): a 10,000-deep chain is
  // one statement, not 10,000. A shallow --depth asks one indexed query per level instead,
  // so it stops early in a big graph.
  const stepper = (direction: 'up' | 'down'): ((frontier: string[]) => WalkStep[]) => {
    if (maxDepth <= PER_LEVEL_UP_TO) return (frontier) => graph.step(frontier, direction);
    const from = graph.walk(root, direction);
    return (frontier) => frontier.flatMap((id) => from.get(id) ?? []);
  };
  if (direction === 'up' || direction === 'both') {
    const commits = new Map<string, string | undefined>([[root, start.commit]]);
    let frontier = [root];
    const seen = new Set<string>([root]);
    const step = stepper('up');
    for (let d = 1; frontier.length && d <= maxDepth; d++) {
      const byChild = new Map<string, WalkStep[]>();
      for (const p of step(frontier)) {
        const group = byChild.get(p.from);
        if (group) group.push(p);
        else byChild.set(p.from, [p]);
      }
      const next: string[] = [];
      for (const id of frontier) {
        const commit = commits.get(id);
        if (commit) {
          const c = `commit:${commit}`;
          addEdge(c, id, 'code');
          if (!nodes.has(c)) nodes.set(c, { id: c, kind: 'commit', label: `commit ${commit.slice(0, 10)}`, depth: -d, facts: {} });
        }
        for (const p of byChild.get(id) ?? []) {
          if (p.row?.view.kind === 'alias') continue;
          addEdge(p.other, p.from, p.role);
          if (!p.row) {
            if (!nodes.has(p.other)) nodes.set(p.other, missing(p.other, -d));
            continue;
          }
          if (!seen.has(p.other)) {
            seen.add(p.other);
            if (!nodes.has(p.other)) nodes.set(p.other, nodeOf(p.row, -d));
            commits.set(p.other, p.row.commit);
            next.push(p.other);
          }
        }
      }
      frontier = next;
    }
  }
  if (direction === 'down' || direction === 'both') {
    let frontier = [root];
    const seenDown = new Set<string>([root]);
    const step = stepper('down');
    for (let d = 1; frontier.length && d <= maxDepth; d++) {
      const next: string[] = [];
      for (const c of step(frontier)) {
        if (!c.row || c.row.view.kind === 'alias') continue;
        addEdge(c.from, c.other, c.role);
        if (!seenDown.has(c.other)) {
          seenDown.add(c.other);
          if (!nodes.has(c.other)) nodes.set(c.other, nodeOf(c.row, d));
          next.push(c.other);
        }
      }
      frontier = next;
    }
  }
  let nodeList = [...nodes.values()];
  let edgeList = [...edges.values()];
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

// Lineage walks over the index: ancestors ("what made this model?"), descendants ("what did
// this dataset feed?"), or both, multi-hop across every version. All edges are followed,
// `previous` included, so the answer is a superset an auditor can rely on: a model
// fine-tuned from a version trained on a dataset descends from that dataset too.
// Code commits appear as nodes (`commit:<sha>`). Alias records are bookkeeping, not
// provenance, and are left out. Each node appears once, however many paths reach it.
import type { Graph } from './graph.js';

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

function nodeFor(graph: Graph, id: string, depth: number): LineageNode {
  if (id.startsWith('commit:')) {
    return { id, kind: 'commit', label: `commit ${id.slice(7, 17)}`, depth, facts: {} };
  }
  const s = graph.get(id);
  if (!s) return { id, kind: 'missing', label: `missing ${id.slice(0, 12)}`, depth, facts: {} };
  return { id, kind: s.kind, name: s.name, version: s.version, label: graph.label(id), depth, facts: graph.facts(id) };
}

export function lineageOf(graph: Graph, root: string, opts: LineageOptions = {}): Lineage {
  const direction = opts.direction ?? 'up';
  const maxDepth = opts.depth ?? Infinity;
  const nodes = new Map<string, LineageNode>([[root, nodeFor(graph, root, 0)]]);
  const edges = new Map<string, LineageEdge>();
  const addEdge = (from: string, to: string, role: string) => edges.set(`${from}\u0000${to}\u0000${role}`, { from, to, role });

  if (direction === 'up' || direction === 'both') {
    let frontier = [root];
    for (let d = 1; frontier.length && d <= maxDepth; d++) {
      const next: string[] = [];
      for (const id of frontier) {
        const s = graph.get(id);
        if (!s) continue;
        if (s.commit) {
          const c = `commit:${s.commit}`;
          addEdge(c, id, 'code');
          if (!nodes.has(c)) nodes.set(c, nodeFor(graph, c, -d));
        }
        for (const p of s.parents ?? []) {
          if (graph.get(p.id)?.kind === 'alias') continue;
          addEdge(p.id, id, p.role);
          if (!nodes.has(p.id)) {
            nodes.set(p.id, nodeFor(graph, p.id, -d));
            next.push(p.id);
          }
        }
      }
      frontier = next;
    }
  }
  if (direction === 'down' || direction === 'both') {
    let frontier = [root];
    for (let d = 1; frontier.length && d <= maxDepth; d++) {
      const next: string[] = [];
      for (const id of frontier) {
        for (const c of graph.childrenOf(id)) {
          if (graph.get(c.id)?.kind === 'alias') continue;
          addEdge(id, c.id, c.role);
          if (!nodes.has(c.id)) {
            nodes.set(c.id, nodeFor(graph, c.id, d));
            next.push(c.id);
          }
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
  nodeList.sort((a, b) => Math.abs(a.depth) - Math.abs(b.depth) || a.label.localeCompare(b.label) || a.id.localeCompare(b.id));
  return { root, ...(opts.kind !== undefined ? { filtered: opts.kind } : {}), nodes: nodeList, edges: edgeList };
}

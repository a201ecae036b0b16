// The lineage graph around one record, as inline SVG laid out on the server by dagre.
// Centred on the record (Marquez's lesson: a whole-store graph is unreadable): ancestors and
// descendants up to `depth` steps, each record's neighbours beyond a handful folded into a
// cluster node that links to the full (paged) list, code commits and datasets as nodes of
// their own, missing parents as visible nodes. Every node links to its page. The walk asks
// bounded queries (LIMIT per record), so a dataset feeding 10,000 models costs 6 rows.
import { createRequire } from 'node:module';
import type { Graph } from '../graph/graph.js';
import { h, trusted, type Html } from './html.js';
import { childrenOf, parentsOf, type Neighbour } from './queries.js';
import { href, type Ctx, type Route } from './routes.js';

/** Neighbours shown per record and direction before the rest fold into a cluster. */
const SHOWN = 5;
/** The graph stops growing past this many nodes (layout cost is superlinear). */
const MAX_NODES = 120;
export const MAX_DEPTH = 4;

export interface GraphNode {
  id: string;
  kind: string;
  /** name@version, a commit's short sha, or a count for clusters */
  label: string;
  depth: number;
  /** the page it links to */
  route?: Route;
  /** clusters: how many records it stands for */
  more?: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  role: string;
}

export interface LineageGraph {
  root: string;
  depth: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

function nodeOf(n: Neighbour, depth: number): GraphNode {
  if (n.kind === undefined) return { id: n.id, kind: 'missing', label: `${n.id.slice(0, 12)}…`, depth };
  const label = n.name !== undefined ? (n.version !== undefined ? `${n.name}@${n.version}` : n.name) : n.id.slice(0, 12);
  return { id: n.id, kind: n.kind, label, depth, route: { page: 'record', id: n.id } };
}

/** Walk `depth` steps up and down from `root` (a record the index has). */
export function lineageGraph(g: Graph, root: string, depth: number): LineageGraph {
  const walkRow = g.walkRow(root);
  const start = walkRow && { ...walkRow.view, commit: walkRow.commit };
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const addEdge = (from: string, to: string, role: string) => edges.set(`${from}\u0000${to}\u0000${role}`, { from, to, role });
  nodes.set(root, start
    ? nodeOf({ id: root, role: '', kind: start.kind, ...(start.name !== undefined ? { name: start.name } : {}), ...(start.version !== undefined ? { version: start.version } : {}) }, 0)
    : { id: root, kind: 'missing', label: root.slice(0, 12), depth: 0 });
  const addCommit = (id: string, commit: string | undefined, d: number) => {
    if (!commit) return;
    const c = `commit:${commit}`;
    if (!nodes.has(c)) nodes.set(c, { id: c, kind: 'commit', label: commit.slice(0, 10), depth: d });
    addEdge(c, id, 'code');
  };
  const walk = (dir: 'up' | 'down') => {
    let frontier = [root];
    const seen = new Set(frontier);
    for (let d = 1; d <= depth && frontier.length; d++) {
      const next: string[] = [];
      for (const id of frontier) {
        if (nodes.size >= MAX_NODES) break;
        if (dir === 'up' && d === 1 && id === root) addCommit(root, start?.commit, -1);
        const { rows, total } = dir === 'up' ? parentsOf(g, id, SHOWN + 1) : childrenOf(g, id, SHOWN + 1);
        const shown = total > SHOWN + 1 ? rows.slice(0, SHOWN) : rows;
        for (const n of shown) {
          if (dir === 'up') addEdge(n.id, id, n.role);
          else addEdge(id, n.id, n.role);
          if (!nodes.has(n.id)) nodes.set(n.id, nodeOf(n, dir === 'up' ? -d : d));
          if (dir === 'up' && n.kind !== undefined) addCommit(n.id, n.commit, -d - 1);
          if (!seen.has(n.id) && n.kind !== undefined && n.kind !== 'alias') {
            seen.add(n.id);
            next.push(n.id);
          }
        }
        if (total > shown.length) {
          const c = `more:${dir}:${id}`;
          nodes.set(c, { id: c, kind: 'cluster', label: `+${total - shown.length} more ${dir === 'up' ? 'parents' : 'children'}`, depth: dir === 'up' ? -d : d, route: { page: 'record', id }, more: total - shown.length });
          if (dir === 'up') addEdge(c, id, '');
          else addEdge(id, c, '');
        }
      }
      frontier = next;
    }
  };
  walk('up');
  walk('down');
  // Commits past the depth asked for are not shown (they hang off the outermost ancestors).
  const keep = [...nodes.values()].filter((n) => n.kind !== 'commit' || -n.depth <= depth);
  const ids = new Set(keep.map((n) => n.id));
  return { root, depth, nodes: keep, edges: [...edges.values()].filter((e) => ids.has(e.from) && ids.has(e.to)) };
}

type Dagre = typeof import('@dagrejs/dagre');
let dagre: Dagre | undefined;
/** dagre is loaded at run time (not bundled): only `mlmeta ui` needs it. */
function loadDagre(): Dagre {
  dagre ??= createRequire(import.meta.url)('@dagrejs/dagre') as Dagre;
  return dagre;
}

const NODE_H = 40;
const nodeWidth = (n: GraphNode) => Math.min(240, Math.max(96, 16 + 7.4 * Math.max(n.label.length, n.kind.length)));
const LABEL_MAX = 30;

/** The graph as an SVG element; positions from dagre (left to right: parents before children). */
export function lineageSvg(ctx: Ctx, lg: LineageGraph, title: string): Html {
  const d = loadDagre();
  const lay = new d.graphlib.Graph();
  lay.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 46, marginx: 8, marginy: 8 });
  lay.setDefaultEdgeLabel(() => ({}));
  const shown = lg.nodes.map((n) => ({ ...n, label: n.label.length > LABEL_MAX ? `${n.label.slice(0, LABEL_MAX - 1)}…` : n.label }));
  for (const n of shown) lay.setNode(n.id, { width: nodeWidth(n), height: NODE_H });
  for (const e of lg.edges) lay.setEdge(e.from, e.to);
  d.layout(lay);
  const size = lay.graph();
  const W = Math.ceil(size.width ?? 0);
  const H = Math.ceil(size.height ?? 0);
  const edgeSvg = lg.edges.map((e) => {
    const pts = lay.edge(e.from, e.to)?.points ?? [];
    const path = pts.map((p: { x: number; y: number }, i: number) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join('');
    return h`<path class="edge${e.role === 'previous' ? ' prev' : ''}" d="${path}" marker-end="url(#arrow)"><title>${e.role}</title></path>`;
  });
  const nodeSvg = shown.map((n) => {
    const p = lay.node(n.id);
    const w = nodeWidth(n);
    const x = p.x - w / 2;
    const y = p.y - NODE_H / 2;
    const link = n.route ? href(ctx, n.route) : undefined;
    const cls = `node n-${n.kind}${n.id === lg.root ? ' root' : ''}`;
    const full = lg.nodes.find((m) => m.id === n.id)!;
    const inner = h`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${NODE_H}" rx="6"></rect><text class="k" x="${(x + 8).toFixed(1)}" y="${(y + 15).toFixed(1)}">${n.kind}</text><text class="l" x="${(x + 8).toFixed(1)}" y="${(y + 32).toFixed(1)}">${n.label}</text><title>${full.kind} ${full.label}</title>`;
    return link
      ? h`<a class="${cls}" href="${link}" data-id="${n.id}" data-kind="${n.kind}" data-label="${full.label}">${inner}</a>`
      : h`<g class="${cls}" data-id="${n.id}" data-kind="${n.kind}" data-label="${full.label}">${inner}</g>`;
  });
  return h`<svg class="lineage" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${title}">${trusted(
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"></path></marker></defs>',
  )}<g class="edges">${edgeSvg}</g><g class="nodes">${nodeSvg}</g></svg>`;
}

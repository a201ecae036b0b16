// Lineage as a text tree, Graphviz DOT, or Mermaid (pastes into a GitHub README).
import { CODE, COMMIT, RECORD, type Lineage, type LineageNode, type LineagePlan } from '../graph/lineage.js';
import type { WalkLinks } from '../graph/graph.js';
import { JsonWriter } from './json.js';
import { printable } from './safe.js';

/**
 * What `--json` prints for a lineage, as bytes: writeJson(lineageOf(…)) exactly, key for key
 * (a record's view and its depth; a commit or missing node as lineageOf makes it), but copied
 * from the walk's text (render/json.ts JsonWriter): a record's view laid out from its compact
 * JSON, ids, roles and commits from their quoted text, with no object or string made per node.
 */
export function writeLineageJson(plan: LineagePlan, write: (chunk: Uint8Array, release: () => void) => void): void {
  const w = new JsonWriter(write);
  w.ascii('{\n  "root": ');
  w.string(plan.root);
  if (plan.filtered !== undefined) {
    w.ascii(',\n  "filtered": ');
    w.string(plan.filtered);
  }
  w.ascii(',\n  "nodes": ');
  const { order, edges } = plan;
  if (order.length === 0) w.ascii('[]');
  for (let k = 0; k < order.length; k++) {
    w.ascii(k ? ',\n    ' : '[\n    ');
    const i = order[k]!;
    const links = plan.linksOf(i);
    const at = plan.ats[i]!;
    const kind = plan.kinds[i];
    if (kind === RECORD) {
      // the view without its closing brace, then the depth, as `{ ...view, depth }` is printed
      w.laidOut(links!.text, links!.viewStart(at), links!.viewEnd(at) - 1, 2);
      w.ascii(',\n      "depth": ');
      w.int(plan.depths[i]!);
      w.ascii('\n    }');
      continue;
    }
    w.ascii('{\n      "id": ');
    nodeId(w, plan, i);
    w.ascii(kind === COMMIT ? ',\n      "kind": "commit",\n      "label": ' : ',\n      "kind": "missing",\n      "label": ');
    // a commit's label is its first 10 characters: the text's, when each is one plain character
    if (kind !== COMMIT || !w.literal(links!.text, links!.commitStart(at), Math.min(links!.commitStart(at) + 12, links!.commitEnd(at)), 'commit ')) w.string(plan.label(i));
    w.ascii(',\n      "depth": ');
    w.int(plan.depths[i]!);
    w.ascii(',\n      "facts": {}\n    }');
  }
  if (order.length > 0) w.ascii('\n  ]');
  w.ascii(',\n  "edges": ');
  if (edges.length === 0) w.ascii('[]');
  for (let k = 0; k < edges.length; k++) {
    w.ascii(k ? ',\n    {\n      "from": ' : '[\n    {\n      "from": ');
    const e = edges[k]!;
    nodeId(w, plan, plan.edgeFrom[e]!);
    w.ascii(',\n      "to": ');
    nodeId(w, plan, plan.edgeTo[e]!);
    w.ascii(',\n      "role": ');
    const set = plan.edgeSet[e]!;
    if (set === CODE) w.ascii('"code"');
    else {
      const links = plan.links[set]!;
      const at = plan.edgeAt[e]!;
      quoted(w, links, links.roleStart(at), links.roleEnd(at));
    }
    w.ascii('\n    }');
  }
  if (edges.length > 0) w.ascii('\n  ]');
  w.ascii('\n}\n');
  w.end();
}

/** A JSON string literal of the walk's text (SQLite's json_quote or JSON.stringify wrote it), as JSON.stringify writes its value. */
function quoted(w: JsonWriter, links: WalkLinks, from: number, to: number): void {
  if (!w.literal(links.text, from, to)) w.string(links.string(from, to));
}

function nodeId(w: JsonWriter, plan: LineagePlan, i: number): void {
  const links = plan.linksOf(i);
  const at = plan.ats[i]!;
  if (links === null) w.string(plan.root);
  else if (plan.kinds[i] !== COMMIT) quoted(w, links, links.idStart(at), links.idEnd(at));
  else if (!w.literal(links.text, links.commitStart(at), links.commitEnd(at), 'commit:')) w.string(plan.id(i));
}

function facts(n: LineageNode): string {
  const parts = Object.entries(n.facts).map(([k, v]) => (v === true ? printable(k) : `${printable(k)}=${printable(v)}`));
  return parts.length ? `  ${parts.join(' ')}` : '';
}

function nodeLine(n: LineageNode): string {
  return n.kind === 'commit' ? printable(n.label) : `${printable(n.label)}  ${n.id.slice(0, 12)}${facts(n)}`;
}

/** A readable tree; a node reached again is shown once more as "(see above)". */
export function renderLineageText(l: Lineage): string {
  const byId = new Map(l.nodes.map((n) => [n.id, n]));
  const up = new Map<string, Array<{ id: string; role: string }>>();
  const down = new Map<string, Array<{ id: string; role: string }>>();
  const link = (m: typeof up, k: string, v: { id: string; role: string }) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  for (const e of l.edges) {
    link(up, e.to, { id: e.from, role: e.role });
    link(down, e.from, { id: e.to, role: e.role });
  }
  const out: string[] = [nodeLine(byId.get(l.root)!)];
  if (l.filtered) {
    // A kind filter cuts the paths between nodes: list them, nearest first.
    const rest = l.nodes.filter((n) => n.id !== l.root);
    const ups = rest.filter((n) => n.depth < 0);
    const downs = rest.filter((n) => n.depth > 0);
    if (ups.length) out.push(`made from (${ups.length}):`, ...ups.map((n) => `  ${nodeLine(n)}  [${-n.depth} hop${n.depth === -1 ? '' : 's'}]`));
    if (downs.length) out.push(`used by (${downs.length}):`, ...downs.map((n) => `  ${nodeLine(n)}  [${n.depth} hop${n.depth === 1 ? '' : 's'}]`));
    if (!rest.length) out.push(`no ${l.filtered} records in this lineage`);
    return out.join('\n') + '\n';
  }
  // Iterative depth-first walk (a 10,000-version chain must not exhaust the stack);
  // indentation stops growing past MAX_INDENT levels so deep chains stay printable.
  const MAX_INDENT = 24;
  type Item = { line: string } | { id: string; prefix: string; level: number };
  const walk = (links: typeof up, title: string) => {
    if (!(links.get(l.root) ?? []).some((k) => byId.has(k.id))) return;
    out.push(title);
    const shown = new Set<string>([l.root]);
    const stack: Item[] = [{ id: l.root, prefix: '', level: 0 }];
    while (stack.length) {
      const item = stack.pop()!;
      if ('line' in item) {
        out.push(item.line);
        continue;
      }
      const kids = (links.get(item.id) ?? []).filter((k) => byId.has(k.id));
      kids.sort((a, b) => a.role.localeCompare(b.role) || byId.get(a.id)!.label.localeCompare(byId.get(b.id)!.label));
      const items: Item[] = [];
      kids.forEach((k, i) => {
        const last = i === kids.length - 1;
        const again = shown.has(k.id);
        shown.add(k.id);
        items.push({ line: `${item.prefix}${last ? '└─' : '├─'} ${printable(k.role)}: ${nodeLine(byId.get(k.id)!)}${again ? '  (see above)' : ''}` });
        if (!again) {
          const prefix = item.level < MAX_INDENT ? `${item.prefix}${last ? '   ' : '│  '}` : item.prefix;
          items.push({ id: k.id, prefix, level: item.level + 1 });
        }
      });
      for (let i = items.length - 1; i >= 0; i--) stack.push(items[i]!);
    }
  };
  walk(up, 'made from:');
  walk(down, 'used by:');
  return out.join('\n') + '\n';
}

const quote = (s: string) => `"${printable(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function renderLineageDot(l: Lineage): string {
  const out = ['digraph lineage {', '  rankdir=BT;', '  node [shape=box, fontname="Helvetica"];'];
  for (const n of l.nodes) {
    const label = n.kind === 'commit' ? n.label : `${n.label}\\n${n.id.slice(0, 12)}`;
    out.push(`  ${quote(n.id)} [label=${quote(label).replace(/\\\\n/g, '\\n')}${n.id === l.root ? ', style=bold' : ''}];`);
  }
  for (const e of l.edges) out.push(`  ${quote(e.from)} -> ${quote(e.to)} [label=${quote(e.role)}];`);
  out.push('}');
  return out.join('\n') + '\n';
}

export function renderLineageMermaid(l: Lineage): string {
  const ids = new Map(l.nodes.map((n, i) => [n.id, `n${i}`]));
  const text = (s: string) => printable(s).replace(/"/g, '#quot;');
  const out = ['flowchart BT'];
  for (const n of l.nodes) {
    const label = n.kind === 'commit' ? n.label : `${n.label}<br/>${n.id.slice(0, 12)}`;
    out.push(`  ${ids.get(n.id)}["${text(label)}"]`);
  }
  for (const e of l.edges) out.push(`  ${ids.get(e.from)} -->|${text(e.role)}| ${ids.get(e.to)}`);
  return out.join('\n') + '\n';
}

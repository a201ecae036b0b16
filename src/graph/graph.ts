// The DAG as the index sees it: version lines (kind, name), heads, children (reverse
// edges) and alias chains, all derived from record summaries. Nothing here is stored.
import { isVersioned } from '../records/record.js';
import type { IndexSnapshot, Summary } from './index-cache.js';

export interface Edge {
  role: string;
  id: string;
}

export function lineKey(kind: string, name: string): string {
  return `${kind}\u0000${name}`;
}

export class Graph {
  readonly summaries: Map<string, Summary>;
  readonly broken: Map<string, string>;
  private linesCache?: Map<string, string[]>;
  private childrenCache?: Map<string, Edge[]>;

  constructor(snapshot: IndexSnapshot) {
    this.summaries = snapshot.summaries;
    this.broken = snapshot.broken;
  }

  get(id: string): Summary | undefined {
    return this.summaries.get(id);
  }

  /** (kind, name) → ids of that version line, plus alias chains keyed as ("alias", name@alias). */
  get lines(): Map<string, string[]> {
    if (!this.linesCache) {
      const lines = new Map<string, string[]>();
      for (const [id, s] of this.summaries) {
        let key: string | undefined;
        if (s.kind === 'alias' && typeof s.alias === 'string' && s.name) key = lineKey('alias', `${s.name}@${s.alias}`);
        else if (s.name !== undefined && isVersioned(s.kind)) key = lineKey(s.kind, s.name);
        if (key === undefined) continue;
        const list = lines.get(key);
        if (list) list.push(id);
        else lines.set(key, [id]);
      }
      this.linesCache = lines;
    }
    return this.linesCache;
  }

  /** parent id → the records that name it as a parent, with the role. */
  get children(): Map<string, Edge[]> {
    if (!this.childrenCache) {
      const children = new Map<string, Edge[]>();
      for (const [id, s] of this.summaries) {
        for (const p of s.parents ?? []) {
          const list = children.get(p.id);
          if (list) list.push({ role: p.role, id });
          else children.set(p.id, [{ role: p.role, id }]);
        }
      }
      this.childrenCache = children;
    }
    return this.childrenCache;
  }

  /** Ids of a line, newest version first (ties by created, then id, for a stable order). */
  line(kind: string, name: string): string[] {
    return this.sortNewestFirst(this.lines.get(lineKey(kind, name)) ?? []);
  }

  sortNewestFirst(ids: string[]): string[] {
    return [...ids].sort((a, b) => {
      const sa = this.summaries.get(a);
      const sb = this.summaries.get(b);
      const dv = (sb?.version ?? 0) - (sa?.version ?? 0);
      if (dv !== 0) return dv;
      const dc = String(sb?.created ?? '').localeCompare(String(sa?.created ?? ''));
      return dc !== 0 ? dc : a.localeCompare(b);
    });
  }

  /** The versions of a line that no later version of the same line names as `previous`. */
  heads(kind: string, name: string): string[] {
    const ids = this.lines.get(lineKey(kind, name)) ?? [];
    const inLine = new Set(ids);
    const superseded = new Set<string>();
    for (const id of ids) {
      for (const p of this.summaries.get(id)?.parents ?? []) {
        if (p.role === 'previous' && inLine.has(p.id)) superseded.add(p.id);
      }
    }
    return this.sortNewestFirst(ids.filter((id) => !superseded.has(id)));
  }

  /** Versioned kinds that have a line with this name. */
  kindsNamed(name: string): string[] {
    const kinds: string[] = [];
    for (const key of this.lines.keys()) {
      const [kind, n] = key.split('\u0000');
      if (n === name && kind !== 'alias' && kind !== undefined) kinds.push(kind);
    }
    return kinds.sort();
  }

  /** All alias names set on a thing name. */
  aliasesOf(name: string): string[] {
    const out: string[] = [];
    for (const key of this.lines.keys()) {
      const [kind, n] = key.split('\u0000');
      if (kind === 'alias' && n?.startsWith(`${name}@`)) out.push(n.slice(name.length + 1));
    }
    return out.sort();
  }

  label(id: string): string {
    const s = this.summaries.get(id);
    if (!s) return id.slice(0, 12);
    if (s.kind === 'alias') return `alias ${s.name}@${s.alias}`;
    if (s.name !== undefined && s.version !== undefined) return `${s.kind} ${s.name}@${s.version}`;
    return s.name !== undefined ? `${s.kind} ${s.name}` : s.kind;
  }
}

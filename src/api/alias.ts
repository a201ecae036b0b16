// Aliases (`production`, `staging`, …) are records too: each move is an `alias` record
// {alias, name, target} linking the alias's previous record(s) as `previous`, so the
// current target is the head of that chain (never a timestamp race) and the chain is the
// audit trail. A removal is a record whose target is null. Two branches that moved the
// same alias leave two heads: `NAME@ALIAS` is then ambiguous until the alias is set again,
// which joins them.
import { MlmetaError } from '../errors.js';
import { checkAlias } from '../records/refs.js';
import { commitRecord, prepareRecord } from './record.js';
import type { Store } from './store.js';

export interface AliasMove {
  id: string;
  alias: string;
  name: string;
  /** null when this move removed the alias */
  target: string | null;
  /** the targets before this move (several after a fork) */
  from: Array<string | null>;
  author?: string;
  created: string;
  message?: string;
}

export interface AliasState {
  alias: string;
  name: string;
  target: string | null;
  /** set when the alias was moved on different branches */
  conflicting?: Array<string | null>;
  since: string;
  by?: string;
}

export interface SetAliasInput {
  alias: string;
  /** the record the alias points to (ignored with remove) */
  ref?: string;
  /** with remove: the name the alias is on */
  name?: string;
  remove?: boolean;
  message?: string;
  date?: string;
}

export function setAlias(store: Store, input: SetAliasInput): { id: string; name: string; target: string | null } {
  checkAlias(input.alias);
  let name: string;
  let target: string | null;
  if (input.remove) {
    if (!input.name) throw new MlmetaError('E_USAGE', 'alias --delete needs the name: mlmeta alias --delete ALIAS NAME');
    name = input.name;
    target = null;
  } else {
    if (!input.ref) throw new MlmetaError('E_USAGE', 'name the record: mlmeta alias ALIAS REF');
    target = store.resolve(input.ref);
    const rec = store.graph().get(target) ?? store.read(target);
    if (rec.name === undefined || rec.kind === 'alias') throw new MlmetaError('E_BAD_INPUT', `an alias needs a named record; ${input.ref} has no name`);
    name = rec.name;
  }
  const prep = prepareRecord(store, {
    kind: 'alias',
    name,
    message: input.message,
    date: input.date,
    code: 'none',
    env: 'none',
    parentIds: target ? [{ role: 'target', id: target }] : [],
    extra: { alias: input.alias, target },
  });
  // The chain's current head(s) are read under the write lock, so two moves at once make
  // a chain, not a fork.
  return store.withWriteLock(() => {
    const heads = store.graph().heads('alias', `${name}@${input.alias}`);
    if (input.remove && heads.length === 0) throw new MlmetaError('E_NOT_FOUND', `${name} has no alias ${input.alias}`);
    const res = commitRecord(store, { ...prep, parents: [...prep.parents, ...heads.map((id) => ({ role: 'previous', id }))] });
    return { id: res.id, name, target };
  });
}

/** Every move of the aliases on NAME (or all), newest first. */
export function aliasHistory(store: Store, name?: string): AliasMove[] {
  const graph = store.graph();
  const moves: AliasMove[] = [];
  for (const id of graph.ids()) {
    const s = graph.get(id)!;
    if (s.kind !== 'alias' || (name !== undefined && s.name !== name)) continue;
    const from = s.parents.filter((p) => p.role === 'previous').map((p) => graph.get(p.id)?.target ?? null);
    moves.push({ id, alias: String(s.alias), name: s.name!, target: s.target ?? null, from, author: graph.full(id)?.author, created: s.created });
  }
  // Chain order first (a move after its previous), then time: depth = longest chain below.
  const previousOf = (x: string) => (graph.get(x)?.parents ?? []).filter((p) => p.role === 'previous' && graph.get(p.id)).map((p) => p.id);
  const depth = new Map<string, number>();
  const depthOf = (start: string): number => {
    const stack = [start];
    while (stack.length) {
      const x = stack[stack.length - 1]!;
      if (depth.has(x)) { stack.pop(); continue; }
      const pending = previousOf(x).filter((p) => !depth.has(p));
      if (pending.length) { stack.push(...pending); continue; }
      depth.set(x, 1 + Math.max(0, ...previousOf(x).map((p) => depth.get(p)!)));
      stack.pop();
    }
    return depth.get(start)!;
  };
  return moves.sort((a, b) => depthOf(b.id) - depthOf(a.id) || b.created.localeCompare(a.created) || a.id.localeCompare(b.id));
}

/** Current aliases (on NAME, or all): the heads of each chain. */
export function aliasStates(store: Store, name?: string): AliasState[] {
  const graph = store.graph();
  const out: AliasState[] = [];
  for (const key of graph.lineKeys()) {
    const [kind, line] = key.split('\u0000') as [string, string];
    if (kind !== 'alias') continue;
    const at = line.lastIndexOf('@');
    const n = line.slice(0, at);
    if (name !== undefined && n !== name) continue;
    const heads = graph.heads('alias', line);
    const first = graph.get(heads[0]!)!;
    const targets = heads.map((h) => graph.get(h)?.target ?? null);
    out.push({
      alias: line.slice(at + 1), name: n, target: targets[0] ?? null, since: first.created, by: graph.full(heads[0]!)?.author,
      ...(heads.length > 1 ? { conflicting: targets } : {}),
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.alias.localeCompare(b.alias));
}

// Resolve a ref (DESIGN §3) to one record id. Ambiguity is always an error that lists
// the candidates; nothing is picked silently. Hex prefixes read one fan-out folder only;
// names, versions and aliases use the index.
import { MlmetaError } from '../errors.js';
import { parseRef } from '../records/refs.js';
import { hasObject, idsWithPrefix } from '../store/objects.js';
import type { StoreLayout } from '../store/location.js';
import type { Graph } from './graph.js';

export interface ResolveOptions {
  /** only consider records of this kind (for NAME, NAME@N) */
  kind?: string;
}

function ambiguous(ref: string, ids: string[], graph: Graph | undefined, hint = ''): MlmetaError {
  const list = ids.map((id) => (graph ? `${id.slice(0, 12)} (${graph.label(id)})` : id.slice(0, 12))).join(', ');
  return new MlmetaError('E_AMBIGUOUS', `${ref} is ambiguous: ${list}${hint}`, { candidates: ids });
}

export function resolveRef(layout: StoreLayout, getGraph: () => Graph, ref: string, opts: ResolveOptions = {}): string {
  const parsed = parseRef(ref);
  switch (parsed.type) {
    case 'id':
      if (!hasObject(layout.objects, parsed.id)) throw new MlmetaError('E_NOT_FOUND', `no record ${parsed.id}`);
      return parsed.id;
    case 'prefix': {
      const byPrefix = idsWithPrefix(layout.objects, parsed.prefix);
      // A short hex word like "cafe" may also be a name, so both are looked up. From 8 hex
      // digits on, a matching id wins without loading the index (docs/DECISIONS.md).
      const checkName = parsed.alsoName && (parsed.prefix.length < 8 || byPrefix.length === 0);
      const byName = checkName ? namedHeads(getGraph(), parsed.prefix, opts, ref, true) : [];
      const all = [...new Set([...byPrefix, ...byName])];
      if (all.length === 1) return all[0]!;
      if (all.length === 0) throw new MlmetaError('E_NOT_FOUND', `no record matches ${ref}`);
      throw ambiguous(ref, all, byName.length ? getGraph() : undefined);
    }
    case 'name': {
      const heads = namedHeads(getGraph(), parsed.name, opts, ref, false);
      if (heads.length === 1) return heads[0]!;
      throw ambiguous(ref, heads, getGraph(), ' (several heads: versions made on different branches; `mlmeta record` joins them)');
    }
    case 'version': {
      const graph = getGraph();
      const kinds = kindsFor(graph, parsed.name, opts, ref);
      const ids: string[] = [];
      for (const kind of kinds) {
        ids.push(...graph.versionOf(kind, parsed.name, parsed.version));
      }
      if (ids.length === 1) return ids[0]!;
      if (ids.length === 0) throw new MlmetaError('E_NOT_FOUND', `${parsed.name} has no version ${parsed.version}`);
      throw ambiguous(ref, ids, graph, ' (the same version was made on different branches)');
    }
    case 'alias': {
      const graph = getGraph();
      const heads = graph.heads('alias', `${parsed.name}@${parsed.alias}`);
      if (heads.length === 0) throw new MlmetaError('E_NOT_FOUND', `${parsed.name} has no alias ${parsed.alias}`);
      if (heads.length > 1) throw ambiguous(ref, heads, graph, ' (the alias was moved on different branches; set it again to settle it)');
      const target = graph.get(heads[0]!)?.target;
      if (typeof target !== 'string') throw new MlmetaError('E_NOT_FOUND', `alias ${parsed.alias} of ${parsed.name} was removed`);
      return target;
    }
  }
}

function kindsFor(graph: Graph, name: string, opts: ResolveOptions, ref: string, quiet = false): string[] {
  const kinds = graph.kindsNamed(name).filter((k) => opts.kind === undefined || k === opts.kind);
  if (kinds.length === 0) {
    if (quiet) return [];
    throw new MlmetaError('E_NOT_FOUND', `no record named ${name}${opts.kind ? ` of kind ${opts.kind}` : ''}`);
  }
  if (kinds.length > 1) {
    throw new MlmetaError('E_AMBIGUOUS', `${ref} names records of several kinds (${kinds.join(', ')}); pass --kind`, { kinds });
  }
  return kinds;
}

function namedHeads(graph: Graph, name: string, opts: ResolveOptions, ref: string, quiet: boolean): string[] {
  const kinds = kindsFor(graph, name, opts, ref, quiet);
  return kinds.flatMap((k) => graph.heads(k, name));
}

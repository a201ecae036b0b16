// `mlmeta export prov REF`: W3C PROV-JSON (Member Submission 2013) for REF's lineage.
//   entities   records that are not runs (datasets, models, …) and code commits
//   activities runs (prov:startTime/prov:endTime from the record)
//   agents     authors
//   used (run ← its inputs and commit) · wasGeneratedBy (output ← its run) ·
//   wasDerivedFrom (a record ← its non-run parents; `previous` as prov:Revision) ·
//   wasInformedBy (a run ← its parent run) · wasAssociatedWith (run → author) ·
//   wasAttributedTo (record → author)
// Start and end are activity attributes, not wasStartedBy/wasEndedBy relations: the
// submission's schema misspells the latter (`wasEndedby`), and neither carries more here.
// Nested values (params, metrics) are JSON text attributes: PROV values are flat literals.
import { createHash } from 'node:crypto';
import type { Store } from '../api/store.js';
import type { RecordBody } from '../records/record.js';
import { labelOf, subgraphOf, type Subgraph } from './subgraph.js';

type Attrs = Record<string, string | number | boolean | { $: string; type: string }>;

const rec = (id: string) => `mlmeta:${id}`;
const agentId = (author: string) => `mlmeta:author-${createHash('sha256').update(author).digest('hex').slice(0, 16)}`;
const time = (s: string) => ({ $: s, type: 'xsd:dateTime' });

function attrsOf(id: string, r: RecordBody): Attrs {
  const a: Attrs = { 'prov:label': labelOf(r), 'mlmeta:kind': r.kind, 'mlmeta:id': id, 'mlmeta:created': time(r.created) };
  if (r.name !== undefined) a['mlmeta:name'] = r.name;
  if (r.version !== undefined) a['mlmeta:version'] = r.version;
  if (typeof r.digest === 'string') a['mlmeta:digest'] = r.digest;
  if (r.digests && typeof r.digests === 'object') for (const [k, v] of Object.entries(r.digests)) if (typeof v === 'string') a[`mlmeta:digest_${k}`] = v;
  if (r.params) a['mlmeta:params'] = JSON.stringify(r.params);
  if (r.metrics) a['mlmeta:metrics'] = JSON.stringify(r.metrics);
  return a;
}

export function provDocument(g: Subgraph): Record<string, unknown> {
  const entity: Record<string, Attrs> = {};
  const activity: Record<string, Attrs> = {};
  const agent: Record<string, Attrs> = {};
  const rel: Record<string, Record<string, Record<string, string>>> = {
    used: {}, wasGeneratedBy: {}, wasDerivedFrom: {}, wasInformedBy: {}, wasAssociatedWith: {}, wasAttributedTo: {},
  };
  let n = 0;
  const add = (kind: keyof typeof rel, body: Record<string, string>) => { rel[kind]![`_:r${++n}`] = body; };
  const isRun = (id: string) => g.records.get(id)?.kind === 'run';
  for (const id of g.order) {
    const r = g.records.get(id)!;
    const me = rec(id);
    if (r.kind === 'run') {
      const a = attrsOf(id, r);
      a['prov:startTime'] = typeof r.started === 'string' ? r.started : r.created;
      if (typeof r.ended === 'string') a['prov:endTime'] = r.ended;
      if (typeof r.status === 'string') a['mlmeta:status'] = r.status;
      if (typeof r.command === 'string' || Array.isArray(r.command)) a['mlmeta:command'] = Array.isArray(r.command) ? r.command.join(' ') : r.command;
      activity[me] = a;
    } else {
      entity[me] = attrsOf(id, r);
    }
    const commit = (r.code as { commit?: string } | undefined)?.commit;
    if (commit) {
      const c = `mlmeta:commit-${commit}`;
      entity[c] = { 'prov:label': `git commit ${commit}`, 'prov:type': 'mlmeta:GitCommit' };
      if (r.kind === 'run') add('used', { 'prov:activity': me, 'prov:entity': c });
    }
    if (r.author) {
      const ag = agentId(r.author);
      agent[ag] = { 'prov:label': r.author, 'prov:type': { $: 'prov:Person', type: 'prov:QUALIFIED_NAME' } };
      if (r.kind === 'run') add('wasAssociatedWith', { 'prov:activity': me, 'prov:agent': ag });
      else add('wasAttributedTo', { 'prov:entity': me, 'prov:agent': ag });
    }
    for (const p of r.parents ?? []) {
      if (p.role === 'previous') {
        if (r.kind !== 'run') add('wasDerivedFrom', { 'prov:generatedEntity': me, 'prov:usedEntity': rec(p.id), 'prov:type': 'prov:Revision' });
        continue;
      }
      if (!g.records.has(p.id)) continue;
      if (r.kind === 'run') {
        if (isRun(p.id)) add('wasInformedBy', { 'prov:informed': me, 'prov:informant': rec(p.id) });
        else add('used', { 'prov:activity': me, 'prov:entity': rec(p.id), 'prov:role': `mlmeta:${p.role}` });
      } else if (isRun(p.id)) {
        add('wasGeneratedBy', { 'prov:entity': me, 'prov:activity': rec(p.id) });
      } else {
        add('wasDerivedFrom', { 'prov:generatedEntity': me, 'prov:usedEntity': rec(p.id) });
      }
    }
  }
  const doc: Record<string, unknown> = { prefix: { mlmeta: 'urn:mlmeta:', xsd: 'http://www.w3.org/2001/XMLSchema#' }, entity, activity, agent };
  for (const [k, v] of Object.entries(rel)) if (Object.keys(v).length) doc[k] = v;
  return doc;
}

export function exportProv(store: Store, ref: string): Record<string, unknown> {
  return provDocument(subgraphOf(store, ref));
}

// `mlmeta export openlineage REF`: OpenLineage RunEvents (spec 2-0-2) for every run in REF's
// lineage — a START and a terminal (COMPLETE/FAIL/ABORT) event per run, oldest first. A run
// is a job (namespace, run name) with its inputs (data/model parents) and outputs (records
// made by it); datasets carry the mlmeta id and digest in the `version` facet. runId is a
// UUID derived from the record id, so the same store gives the same events.
import { MlmetaError } from '../errors.js';
import type { RecordBody } from '../records/record.js';
import { flatParams, subgraphOf, type Subgraph } from './subgraph.js';
import type { Store } from '../api/store.js';

export const OL_SPEC = 'https://openlineage.io/spec/2-0-2/OpenLineage.json';
const PRODUCER = 'https://github.com/mlmeta/mlmeta';
const facetUrl = (version: string, name: string) => `https://openlineage.io/spec/facets/${version}/${name}.json#/$defs/${name}`;
const facet = (version: string, name: string, body: Record<string, unknown>) => ({ _producer: PRODUCER, _schemaURL: facetUrl(version, name), ...body });

/** A record id as a UUID (RFC 9562 version 8: custom). */
export function runUuid(id: string): string {
  const h = id.slice(0, 32).split('');
  h[12] = '8';
  h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

function isUri(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:[^\s]*$/i.test(s);
}

function datasetVersion(id: string, r: RecordBody): string {
  const d = (r.digests ?? {}) as Record<string, unknown>;
  const digest = typeof r.digest === 'string' ? `sha256:${r.digest}` : typeof d.sha256 === 'string' ? `sha256:${d.sha256}` : typeof d.md5 === 'string' ? `md5:${d.md5}` : typeof d.mlflow === 'string' ? `mlflow:${d.mlflow}` : undefined;
  return digest ? `${id} (${digest})` : id;
}

function datasetOf(ns: string, id: string, r: RecordBody) {
  return { namespace: ns, name: r.name ?? id, facets: { version: facet('1-0-1', 'DatasetVersionDatasetFacet', { datasetVersion: datasetVersion(id, r) }) } };
}

function eventTimes(r: RecordBody): { start: string; end: string } {
  const start = typeof r.started === 'string' ? r.started : r.created;
  const end = typeof r.ended === 'string' ? r.ended : r.created;
  return { start, end: end < start ? start : end };
}

export function openLineageEvents(g: Subgraph, namespace = 'mlmeta'): Array<Record<string, unknown>> {
  const runs = g.order.filter((id) => g.records.get(id)!.kind === 'run');
  if (runs.length === 0) throw new MlmetaError('E_NOT_FOUND', 'no run in the lineage of this record: OpenLineage describes runs (jobs); nothing to export');
  const events: Array<Record<string, unknown>> = [];
  for (const id of runs) {
    const r = g.records.get(id)!;
    const inputs = (r.parents ?? []).filter((p) => p.role !== 'previous' && p.role !== 'parent' && g.records.has(p.id) && g.records.get(p.id)!.kind !== 'run')
      .map((p) => datasetOf(namespace, p.id, g.records.get(p.id)!));
    const outputs = g.childrenOf(id).filter((c) => c.role === 'run' && c.record.kind !== 'run').map((c) => datasetOf(namespace, c.id, c.record));
    const job: Record<string, unknown> = { namespace, name: r.name ?? id };
    const jobFacets: Record<string, unknown> = { jobType: facet('2-0-4', 'JobTypeJobFacet', { processingType: 'BATCH', integration: 'MLMETA', jobType: 'RUN' }) };
    const code = (r.code ?? {}) as { commit?: string; remote?: string | null; branch?: string | null };
    if (code.commit && typeof code.remote === 'string' && isUri(code.remote)) {
      jobFacets.sourceCodeLocation = facet('1-1-0', 'SourceCodeLocationJobFacet', { type: 'git', url: code.remote, repoUrl: code.remote, version: code.commit, ...(code.branch ? { branch: code.branch } : {}) });
    }
    job.facets = jobFacets;
    const runFacets: Record<string, unknown> = {};
    const params = flatParams(r.params);
    if (params.length) runFacets.executionParameters = facet('1-0-0', 'ExecutionParametersRunFacet', { parameters: params.map(([key, value]) => ({ key, value })) });
    const parentRun = (r.parents ?? []).find((p) => p.role === 'parent' && g.records.get(p.id)?.kind === 'run');
    if (parentRun) runFacets.parent = facet('1-2-0', 'ParentRunFacet', { run: { runId: runUuid(parentRun.id) }, job: { namespace, name: g.records.get(parentRun.id)!.name ?? parentRun.id } });
    // mlmeta's own facet: the record id and code commit (which sourceCodeLocation needs a URL to carry).
    runFacets.mlmeta = { _producer: PRODUCER, _schemaURL: `${PRODUCER}/blob/main/docs/INTEROP.md#openlineage`, record: id, ...(code.commit ? { commit: code.commit } : {}), ...(r.metrics ? { metrics: r.metrics } : {}) };
    const { start, end } = eventTimes(r);
    const base = { producer: PRODUCER, schemaURL: `${OL_SPEC}#/$defs/RunEvent`, job, inputs, outputs };
    const status = typeof r.status === 'string' ? r.status : 'succeeded';
    const terminal = status === 'failed' ? 'FAIL' : status === 'killed' ? 'ABORT' : status === 'running' || status === 'scheduled' ? undefined : 'COMPLETE';
    events.push({ eventTime: start, eventType: 'START', run: { runId: runUuid(id), facets: runFacets }, ...base });
    if (terminal) events.push({ eventTime: end, eventType: terminal, run: { runId: runUuid(id), facets: runFacets }, ...base });
  }
  return events;
}

export function exportOpenLineage(store: Store, ref: string, namespace?: string): Array<Record<string, unknown>> {
  return openLineageEvents(subgraphOf(store, ref), namespace);
}

/** POST each event to URL/api/v1/lineage (as Marquez and other services take them), in order. */
export async function postEvents(url: string, events: Array<Record<string, unknown>>): Promise<number> {
  let endpoint: URL;
  try {
    // The path joins the URL's path, not its text: a query (`?api_key=…`) stays a query.
    endpoint = new URL(url);
    endpoint.pathname = `${endpoint.pathname.replace(/\/+$/, '')}/api/v1/lineage`;
  } catch {
    // Not echoed: the text may hold a token.
    throw new MlmetaError('E_USAGE', '--url is not a URL');
  }
  // fetch refuses a URL with user:password (and its error repeats them): send them as Basic
  // auth instead, and keep them out of every message.
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (endpoint.username || endpoint.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(endpoint.username)}:${decodeURIComponent(endpoint.password)}`).toString('base64')}`;
    endpoint.username = '';
    endpoint.password = '';
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new MlmetaError('E_USAGE', `--url must be http(s), not ${endpoint.protocol}`);
  const shown = `${endpoint.protocol}//${endpoint.host}${endpoint.pathname}`; // no credentials in messages
  let sent = 0;
  for (const e of events) {
    let res: Response;
    try {
      // No redirects: a 3xx would resend the events (and the credentials) to another place.
      res = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(e), redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      throw new MlmetaError('E_REMOTE', `${shown}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message} (${sent} of ${events.length} events sent)`);
    }
    if (!res.ok) throw new MlmetaError('E_REMOTE', `${shown} answered ${res.status} ${res.statusText} (${sent} of ${events.length} events sent)`);
    await res.arrayBuffer();
    sent++;
  }
  return sent;
}

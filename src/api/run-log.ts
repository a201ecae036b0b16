// What a command logged through the protocol (capture/protocol.ts, docs/PROTOCOL.md),
// folded into `mlmeta run`'s records after the command ends:
//   params  — merged with the params file and --param flags; a logged value that differs
//             from a given one is a conflict (the run is still recorded, see run.ts);
//   metrics — each metric's last finite value, under the metrics file and --metric flags;
//   history — each metric's curve (records/history.ts), on the run and the model;
//   inputs  — hashed into datasets like --input (after the command, as logged);
//   outputs — hashed like --output when the command succeeds;
//   tags    — a `tags:` mapping on the run.
// The command has run already, so nothing logged can cost the run: a logged input or output
// that cannot be hashed is a warning.
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import type { GitFacts } from '../capture/git.js';
import type { Logged } from '../capture/protocol.js';
import { setDotted } from '../capture/protocol.js';
import { mergeMappings, type Mapping } from '../capture/values.js';
import { buildHistory, type ContentObject, type History } from '../records/history.js';
import type { Artifact, RecordBody } from '../records/record.js';
import { redactSecrets } from '../records/secrets.js';
import type { Json } from '../records/yaml.js';
import { prepareData, type PreparedData } from './dataset.js';
import type { Store } from './store.js';

/**
 * Logged inputs, and logged outputs, recorded at most: each is hashed and becomes its own
 * dataset or artifact, so a loop that logs every file it opens (10^5 paths) would spend minutes
 * and bury the run. Past it, one warning says how many were left out (log the folder instead).
 */
export const MAX_LOGGED_PATHS = 1000;

/** The first MAX_LOGGED_PATHS of `paths`, and a warning naming what was left out. */
function capped(paths: Iterable<string>, what: string, warnings: string[]): string[] {
  const all = [...new Set(paths)];
  if (all.length <= MAX_LOGGED_PATHS) return all;
  warnings.push(`${all.length - MAX_LOGGED_PATHS} logged ${what} past the first ${MAX_LOGGED_PATHS} were not recorded (log their folder instead)`);
  return all.slice(0, MAX_LOGGED_PATHS);
}

export interface ParamConflict {
  param: string;
  given: Json;
  logged: Json;
}

export interface FoldedLog {
  params: Mapping;
  conflicts: ParamConflict[];
  /** final values: logged, then the metrics file, then flags (the later wins) */
  metrics: Mapping;
  history: History;
  /** series objects to write before the records, under the same lock; `indexed`: the body as the index keeps it (no points) */
  series: Array<ContentObject & { indexed: RecordBody }>;
  tags?: Record<string, string>;
  data: PreparedData[];
  warnings: string[];
}

const isMapping = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every leaf of `logged` that `given` also has, with a different value. */
function conflicts(given: Mapping, logged: Mapping, prefix = ''): ParamConflict[] {
  const out: ParamConflict[] = [];
  for (const [k, v] of Object.entries(logged)) {
    if (!Object.hasOwn(given, k)) continue;
    const g = given[k]!;
    const name = prefix ? `${prefix}.${k}` : k;
    if (isMapping(g) && isMapping(v)) out.push(...conflicts(g, v, name));
    else if (JSON.stringify(g) !== JSON.stringify(v)) out.push({ param: name, given: g, logged: v });
  }
  return out;
}

export function conflictMessage(runId: string, list: ParamConflict[]): string {
  const what = list.slice(0, 3).map((c) => `${c.param}: given ${JSON.stringify(c.given)}, logged ${JSON.stringify(c.logged)}`).join('; ');
  return `the command logged params that differ from the params file or --param flags (${what}${list.length > 3 ? `; and ${list.length - 3} more` : ''}); run ${runId.slice(0, 12)} is recorded with the given values and both in param_conflicts, and no model version was made — fix the flags or the script and run again`;
}

export async function foldLog(
  store: Store,
  logged: Logged,
  given: { params: Mapping; metrics: Mapping; git: GitFacts; code?: string; progress?: boolean },
): Promise<FoldedLog> {
  const warnings = [...logged.warnings];
  const found = conflicts(given.params, logged.params);
  // Both values go into the record and the error: a secret param's values are redacted there
  // as in params (the dotted path's words decide, like any nested key).
  for (const c of found) {
    const holder: Mapping = {};
    setDotted(holder, c.param, { given: c.given, logged: c.logged });
    redactSecrets(holder);
    let node: Json = holder;
    for (const seg of c.param.split('.')) node = (node as Mapping)[seg]!;
    c.given = (node as Mapping).given!;
    c.logged = (node as Mapping).logged!;
  }
  // On a conflict the given value stays (what the user declared); the logged one is kept in
  // param_conflicts by the caller.
  const params = mergeMappings(logged.params, given.params);

  const { history, objects } = buildHistory(logged.metrics);
  const final: Mapping = {};
  for (const [name, h] of Object.entries(history)) {
    if (h.last === undefined) warnings.push(`metric ${name}: its last logged value is not a finite number; it has a curve but no final value`);
    else setDotted(final, name, h.last);
  }
  const metrics = mergeMappings(final, given.metrics);

  let tags: Record<string, string> | undefined;
  if (Object.keys(logged.tags).length) {
    tags = { ...logged.tags };
    for (const hit of redactSecrets(tags)) warnings.push(`tag ${hit} looks like a secret; its value was not recorded`);
  }

  const data: PreparedData[] = [];
  for (const i of capped(logged.inputs, 'inputs', warnings)) {
    try {
      const d = await prepareData(store, i, { git: given.git, code: given.code, progress: given.progress });
      for (const w of d.warnings) warnings.push(w);
      data.push(d);
    } catch (e) {
      if (!(e instanceof MlmetaError)) throw e;
      warnings.push(`logged input ${i} not recorded: ${e.message}`);
    }
  }
  // The index keeps no points (graph/summary.ts), so a series' rows come from its other fields.
  const series = objects.map((o) => {
    const [metric, h] = Object.entries(history).find(([, e]) => e.series === o.id)!;
    return { ...o, indexed: { count: h.count, kind: 'series', metric, mlmeta: 1 } as unknown as RecordBody };
  });
  return { params, conflicts: found, metrics, history, series, ...(tags ? { tags } : {}), data, warnings };
}

/** Logged outputs not already given as --output, hashed (warnings, never errors: the command has run). */
export async function foldOutputs(
  store: Store,
  logged: string[],
  given: string[],
  hash: (abs: string, shown: string) => Promise<{ artifact: Artifact; manifest?: ContentObject }>,
): Promise<{ artifacts: Artifact[]; manifests: ContentObject[]; warnings: string[] }> {
  const seen = new Set(given.map((g) => path.resolve(store.cwd, g)));
  const out = { artifacts: [] as Artifact[], manifests: [] as ContentObject[], warnings: [] as string[] };
  const fresh = logged.filter((o) => !seen.has(path.resolve(store.cwd, o)));
  for (const o of capped(fresh, 'outputs', out.warnings)) {
    const abs = path.resolve(store.cwd, o);
    if (seen.has(abs)) continue;
    seen.add(abs);
    try {
      const h = await hash(abs, o);
      out.artifacts.push(h.artifact);
      if (h.manifest) out.manifests.push(h.manifest);
    } catch (e) {
      if (!(e instanceof MlmetaError)) throw e;
      out.warnings.push(`logged output ${o} not recorded: ${e.message}`);
    }
  }
  return out;
}

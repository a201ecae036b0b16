// `mlmeta run -- CMD…`: hash the inputs, run the command (output streamed, signals
// forwarded), check and hash the outputs, then record a `run` and — with a model name and a
// zero exit — the next version of the model. Everything that can fail on our side is
// checked before records are written, so a failure leaves no partial lineage.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { readMappingFile, mergeMappings, type Mapping } from '../capture/values.js';
import { captureGitAsync } from '../capture/git.js';
import { hashFile } from '../capture/hash-file.js';
import { recordedPath } from '../capture/data-files.js';
import type { Artifact } from '../records/record.js';
import { resolveData } from './dataset.js';
import type { Store } from './store.js';

export interface RunInput {
  command: string[];
  model?: string;
  name?: string;
  inputs?: string[];
  outputs?: string[];
  paramsFile?: string;
  params?: Mapping;
  metricsFile?: string;
  metrics?: Mapping;
  message?: string;
  env?: 'auto' | 'none';
  envExtra?: Record<string, string>;
  code?: string;
  progress?: boolean;
  /** where the command's output goes; default: inherited (streamed) */
  stdio?: 'inherit' | 'ignore';
}

export interface RunResult {
  run: string;
  model?: string;
  exitCode: number;
  signal?: string;
  durationSeconds: number;
  warnings: string[];
}

interface Before {
  exists: boolean;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

function statBefore(abs: string): Before {
  try {
    const st = fs.statSync(abs);
    return { exists: true, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
  } catch {
    return { exists: false, mtimeMs: 0, ctimeMs: 0, ino: 0 };
  }
}

function execute(command: string[], cwd: string, stdio: 'inherit' | 'ignore'): Promise<{ code: number; signal?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd, stdio });
    // Ctrl-C at a terminal reaches the whole foreground process group, the command
    // included, so mlmeta only stays alive to record the outcome; forwarding it too would
    // deliver it twice. A signal sent to mlmeta alone (no terminal, or SIGTERM/SIGHUP) is
    // passed on once.
    const interactive = process.stdin.isTTY === true;
    const forward = (sig: NodeJS.Signals) => () => {
      if (!(sig === 'SIGINT' && interactive)) child.kill(sig);
    };
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    const done = () => { for (const [s, h] of handlers) process.off(s, h); };
    child.on('error', (e) => {
      done();
      const code = (e as NodeJS.ErrnoException).code;
      reject(new MlmetaError('E_COMMAND_FAILED', `cannot start ${JSON.stringify(command[0])}: ${code === 'ENOENT' ? 'command not found' : code ?? e.message}`));
    });
    child.on('exit', (code, signal) => {
      done();
      resolve(signal ? { code: 128 + (osConstants.signals[signal] ?? 0), signal } : { code: code ?? 1 });
    });
  });
}

export async function runCommand(store: Store, input: RunInput): Promise<RunResult> {
  if (input.command.length === 0) throw new MlmetaError('E_USAGE', 'give the command after --, e.g. mlmeta run -- python train.py');
  const warnings: string[] = [];
  // The code state is the one the command starts from; git runs while the inputs are hashed,
  // and one look serves both records.
  const gitFacts = captureGitAsync(store.layout.project, (input.code ?? 'auto') === 'auto', store.env.MLMETA_AUTHOR === undefined);
  // Inputs and params are fixed before the command starts.
  const dataIds: string[] = [];
  for (const i of input.inputs ?? []) dataIds.push(await resolveData(store, i, input.progress));
  const params = mergeMappings(input.paramsFile ? readMappingFile(path.resolve(store.cwd, input.paramsFile), 'params') : {}, input.params ?? {});
  const outputs = (input.outputs ?? []).map((o) => ({ given: o, abs: path.resolve(store.cwd, o) }));
  const before = outputs.map((o) => statBefore(o.abs));

  const git = await gitFacts;
  const started = new Date();
  const t0 = process.hrtime.bigint();
  const { code, signal } = await execute(input.command, store.cwd, input.stdio ?? 'inherit');
  const durationSeconds = Math.round(Number(process.hrtime.bigint() - t0) / 1e6) / 1000;

  let artifacts: Artifact[] = [];
  let metrics: Mapping = input.metrics ?? {};
  if (code === 0) {
    outputs.forEach((o, i) => {
      const now = statBefore(o.abs);
      const b = before[i]!;
      if (!now.exists) throw new MlmetaError('E_OUTPUT', `output ${o.given} does not exist after the command; nothing was recorded`);
      if (b.exists && now.mtimeMs === b.mtimeMs && now.ctimeMs === b.ctimeMs && now.ino === b.ino) {
        throw new MlmetaError('E_OUTPUT', `output ${o.given} was not written by the command (unchanged since before it ran); nothing was recorded`);
      }
    });
    artifacts = outputs.map((o) => {
      const st = fs.statSync(o.abs);
      if (!st.isFile()) throw new MlmetaError('E_OUTPUT', `output ${o.given} is not a file`);
      const h = hashFile(o.abs);
      return { path: recordedPath(store.layout.project, o.abs).path, sha256: h.sha256, size: h.size };
    });
    if (input.metricsFile) metrics = mergeMappings(readMappingFile(path.resolve(store.cwd, input.metricsFile), 'metrics'), metrics);
  } else if (input.metricsFile && fs.existsSync(path.resolve(store.cwd, input.metricsFile))) {
    try {
      metrics = mergeMappings(readMappingFile(path.resolve(store.cwd, input.metricsFile), 'metrics'), metrics);
    } catch {
      warnings.push(`metrics file ${input.metricsFile} of the failed run is unreadable; not recorded`);
    }
  }

  const runName = input.name ?? (input.model ? `${input.model}-run` : 'run');
  const common = { env: input.env, envExtra: input.envExtra, code: input.code, message: input.message, params, metrics, git };
  const run = store.createRecord(
    {
      ...common,
      kind: 'run',
      name: runName,
      date: started,
      extra: {
        command: input.command,
        started: started.toISOString(),
        duration_seconds: durationSeconds,
        exit_code: code,
        status: code === 0 ? 'succeeded' : 'failed',
        ...(signal ? { signal } : {}),
        ...(artifacts.length ? { outputs: artifacts } : {}),
      },
    },
    dataIds,
  );
  warnings.push(...run.warnings);
  let model: string | undefined;
  if (input.model && code === 0) {
    const m = store.createRecord({ ...common, kind: 'model', name: input.model, parentIds: [{ role: 'run', id: run.id }], artifactEntries: artifacts }, dataIds);
    model = m.id;
  }
  return { run: run.id, model, exitCode: code, ...(signal ? { signal } : {}), durationSeconds, warnings: [...new Set(warnings)] };
}

import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { MlmetaError } from '../../errors.js';
import { importDvc, importMlflow } from '../../interop/import.js';
import type { ImportResult } from '../../interop/plan.js';
import { printable } from '../../render/safe.js';
import { short } from '../../render/text.js';
import { note, out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { tool?: string; path?: string; dryRun?: boolean; allCommits?: boolean }

function render(res: ImportResult, json: boolean | undefined): void {
  for (const w of res.warnings) note(`warning: ${w}`);
  if (json) return outJson({ tool: res.tool, dryRun: res.dryRun, added: res.added, existing: res.existing, records: res.records, warnings: res.warnings });
  const lines = res.records.filter((r) => r.added || res.dryRun).map((r) =>
    `${res.dryRun ? (r.added ? 'would add' : 'has') : 'added'}  ${short(r.id)}  ${printable(r.kind)} ${printable(r.name)}${r.version !== undefined ? `@${r.version}` : ''}`);
  if (lines.length) out(lines.join('\n'));
  note(`${res.dryRun ? 'dry run: would add' : 'added'} ${res.added} record${res.added === 1 ? '' : 's'} from ${res.tool}; ${res.existing} already in the store`);
}

export const importCommand: CommandModule<GlobalArgs, Args> = {
  command: 'import <tool> [path]',
  describe: 'Bring history in from MLflow (mlruns/ or mlflow.db) or DVC (dvc.yaml, dvc.lock, .dvc files)',
  builder: (y) => y
    .positional('tool', { type: 'string', choices: ['mlflow', 'dvc'] })
    .positional('path', { type: 'string', describe: 'mlflow: the mlruns folder or SQLite file; dvc: the project folder (default .)' })
    .option('dry-run', { type: 'boolean', describe: 'say what would be recorded; write nothing' })
    .option('all-commits', { type: 'boolean', describe: 'dvc: walk every commit that changed dvc.lock (version lines from git history)' })
    .example('$0 import mlflow ./mlruns', 'every experiment, run, dataset input and registered model')
    .example('$0 import mlflow mlflow.db --dry-run', 'what an MLflow SQLite store would add')
    .example('$0 import dvc --all-commits', 'the pipeline at every commit that changed dvc.lock'),
  handler: (args) => {
    const store = storeFrom(args);
    if (args.tool === 'mlflow') {
      if (!args.path) throw new MlmetaError('E_USAGE', 'name the mlruns folder or the MLflow SQLite file: mlmeta import mlflow PATH');
      return render(importMlflow(store, path.resolve(args.path), { dryRun: args.dryRun }), args.json);
    }
    return render(importDvc(store, path.resolve(args.path ?? '.'), { dryRun: args.dryRun, allCommits: args.allCommits }), args.json);
  },
};

// The import entry points the CLI and library call: read a foreign source into a plan
// (nothing written), then apply it (or, dry, only say what it would add).
import type { Store } from '../api/store.js';
import { planDvc, type DvcOptions } from './dvc.js';
import { planMlflow, readMlflow } from './mlflow.js';
import { applyPlan, type ImportResult } from './plan.js';

export interface ImportOptions {
  dryRun?: boolean;
}

export function importMlflow(store: Store, source: string, opts: ImportOptions = {}): ImportResult {
  return applyPlan(store, planMlflow(readMlflow(source)), opts);
}

export function importDvc(store: Store, dir: string, opts: ImportOptions & DvcOptions = {}): ImportResult {
  return applyPlan(store, planDvc(dir, opts), opts);
}

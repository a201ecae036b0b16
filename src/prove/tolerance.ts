// `--tolerance metrics.auc=0.005`, `--tolerance auc=5%`, or a bare `5%` / `0.01` for every
// metric: how far a reproduced metric may be from the recorded one. |a − b| ≤ abs, or
// |a − b| ≤ rel · |recorded|.
import { MlmetaError } from '../errors.js';
import type { Json } from '../records/yaml.js';

export interface Tolerance {
  abs?: number;
  rel?: number;
}

export interface Tolerances {
  all?: Tolerance;
  byMetric: Record<string, Tolerance>;
}

function parseAmount(text: string, arg: string): Tolerance {
  const m = /^(\d+(?:\.\d+)?(?:e-?\d+)?)(%?)$/i.exec(text.trim());
  if (!m) throw new MlmetaError('E_USAGE', `--tolerance ${JSON.stringify(arg)}: give a number (absolute) or a percentage, e.g. metrics.auc=0.005 or 5%`);
  const n = Number(m[1]);
  return m[2] ? { rel: n / 100 } : { abs: n };
}

export function parseTolerances(args: string[]): Tolerances {
  const out: Tolerances = { byMetric: {} };
  for (const arg of args) {
    const eq = arg.lastIndexOf('=');
    if (eq < 0) out.all = parseAmount(arg, arg);
    else out.byMetric[arg.slice(0, eq).replace(/^metrics\./, '')] = parseAmount(arg.slice(eq + 1), arg);
  }
  return out;
}

export function toleranceFor(t: Tolerances, metric: string): Tolerance {
  return t.byMetric[metric] ?? t.all ?? {};
}

export function within(recorded: number, now: number, tol: Tolerance): boolean {
  const d = Math.abs(now - recorded);
  if (d === 0) return true;
  return (tol.abs !== undefined && d <= tol.abs) || (tol.rel !== undefined && d <= tol.rel * Math.abs(recorded));
}

/** Numeric leaves of a metrics mapping as dotted keys. */
export function flatMetrics(v: Json | undefined, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  if (typeof v === 'number') out[prefix] = v;
  else if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) flatMetrics(x, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

// Human-readable views. Data for machines goes through `--json` instead.
import type { LogEntry } from '../api/log.js';
import { describe, type ShowResult } from '../api/show.js';
import type { VerifyReport } from '../api/verify.js';
import { canonicalYaml } from '../records/yaml.js';

export const short = (id: string) => id.slice(0, 12);

export function renderShow(v: ShowResult): string {
  const r = v.record;
  const lines = [`${describe(r)}  ${v.id}`];
  if (r.code?.dirty) lines.push('warning: made from a dirty work tree (uncommitted changes)');
  if (v.parents.length) {
    lines.push('parents:');
    for (const p of v.parents) lines.push(`  ${p.role.padEnd(9)} ${short(p.id)}  ${p.missing ? '(not in this store)' : p.label}`);
  }
  const { parents: _p, mlmeta: _m, ...rest } = r;
  lines.push(canonicalYaml(rest).trimEnd());
  return lines.join('\n') + '\n';
}

export function renderLog(entries: LogEntry[]): string {
  const out: string[] = [];
  for (const e of entries) {
    const marks = [e.head ? 'head' : '', e.previous.length > 1 ? `joins ${e.previous.length}` : '', e.dirty ? 'dirty' : '']
      .filter(Boolean)
      .join(', ');
    const metric = e.metrics ? Object.entries(e.metrics).filter(([, v]) => typeof v === 'number').slice(0, 2).map(([k, v]) => `${k}=${v}`).join(' ') : '';
    out.push(`${short(e.id)}  ${e.kind} ${e.name}@${e.version}  ${e.created}  ${e.author ?? ''}${marks ? `  [${marks}]` : ''}${metric ? `  ${metric}` : ''}`);
  }
  // Two heads in one line means a fork: say so plainly.
  const headsPerLine = new Map<string, number>();
  for (const e of entries) if (e.head) headsPerLine.set(`${e.kind} ${e.name}`, (headsPerLine.get(`${e.kind} ${e.name}`) ?? 0) + 1);
  for (const [line, n] of headsPerLine) if (n > 1) out.push(`note: ${line} has ${n} heads (forked on different branches); the next record joins them`);
  return out.length ? out.join('\n') + '\n' : '';
}

export function renderVerify(r: VerifyReport): string {
  const out = r.findings.map((f) => `${f.severity}[${f.finding}]: ${f.message}`);
  out.push(`checked ${r.checked} objects: ${r.errors} error(s), ${r.warnings} warning(s)`);
  return out.join('\n') + '\n';
}

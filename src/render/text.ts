// Human-readable views. Data for machines goes through `--json` instead.
import type { LogEntry } from '../api/log.js';
import { describe, type ShowResult } from '../api/show.js';
import type { StatusReport } from '../api/status.js';
import type { VerifyReport } from '../api/verify.js';
import type { WhichResult } from '../api/which.js';
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

export function renderWhich(r: WhichResult): string {
  if (r.matches.length === 0) return `${r.file} (sha256 ${short(r.sha256)}): no record holds this content\n`;
  const lines = [`${r.file} (sha256 ${short(r.sha256)}, ${r.size} bytes):`];
  for (const m of r.matches) {
    const label = m.name !== undefined ? `${m.kind} ${m.name}${m.version !== undefined ? `@${m.version}` : ''}` : m.kind;
    lines.push(`  ${short(m.id)}  ${label}  ${m.as}${m.path ? ` ${m.path}` : ''}  ${m.created ?? ''}`);
    for (const p of m.parents) lines.push(`      ${p.role.padEnd(8)} ${short(p.id)}  ${p.label}`);
  }
  return lines.join('\n') + '\n';
}

export function renderStatus(r: StatusReport): string {
  const lines: string[] = [];
  for (const d of r.datasets) {
    lines.push(`dataset ${d.name}@${d.version}: ${d.state}`);
    for (const f of d.changed) lines.push(`    changed:  ${f}`);
    for (const f of d.added) lines.push(`    added:    ${f}`);
    for (const f of d.removed) lines.push(`    removed:  ${f}`);
  }
  for (const m of r.models) {
    lines.push(`model ${m.name}@${m.version}: ${m.state}`);
    for (const a of m.artifacts) if (a.state !== 'clean') lines.push(`    ${a.state.padEnd(8)}  ${a.path}`);
    for (const d of m.data) {
      if (d.newer) lines.push(`    data ${d.name}@${d.version} has a newer version (${short(d.newer)})`);
      if (d.changedOnDisk) lines.push(`    data ${d.name}@${d.version} changed on disk`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : 'nothing recorded yet\n';
}

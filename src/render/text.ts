// Human-readable views. Data for machines goes through `--json` instead. Every string that
// comes from a record or the disk goes through `printable` (render/safe.ts); notes about the
// data (forks, dirty work trees) are returned apart, for stderr.
import type { LogEntry } from '../api/log.js';
import { describe, type HistoryView, type ShowResult } from '../api/show.js';
import { historyOf, type HistoryEntry } from '../records/history.js';
import type { StatusReport } from '../api/status.js';
import type { VerifyReport } from '../api/verify.js';
import type { WhichResult } from '../api/which.js';
import { canonicalYaml } from '../records/yaml.js';
import { printable, printableLines } from './safe.js';

export const short = (id: string) => id.slice(0, 12);

export function renderShow(v: ShowResult): string {
  const r = v.record;
  const lines = [`${printable(describe(r))}  ${v.id}`];
  if (v.parents.length) {
    lines.push('parents:');
    for (const p of v.parents) {
      const what = p.missing ? '(not in this store)' : p.malformed ? '(malformed: see mlmeta verify)' : printable(p.label);
      lines.push(`  ${printable(p.role).padEnd(9)} ${short(p.id)}  ${what}`);
    }
  }
  const { parents: _p, mlmeta: _m, history: _h, ...rest } = r;
  // Canonical YAML escapes control characters in strings itself; the bidi controls and
  // separators it leaves raw are escaped here.
  lines.push(printableLines(canonicalYaml(rest).trimEnd()));
  // Curves: one line each, from the summary; the points (maybe 10^5, maybe in a series
  // object) are for `show --history METRIC`.
  const history = historyOf(r);
  const names = Object.keys(history).sort();
  if (names.length) {
    lines.push('history:  (points: mlmeta show REF --history METRIC)');
    for (const n of names) lines.push(`  ${printable(n)}: ${curveSummary(history[n]!)}`);
  }
  return lines.join('\n') + '\n';
}

const num = (x: unknown) => (typeof x === 'number' ? String(x) : '?');

/** `1000 points, steps 0..999, min 0.01, max 2.3, last 0.02` (fields from a record: untrusted). */
export function curveSummary(h: Pick<HistoryEntry, 'count' | 'first_step' | 'last_step' | 'min' | 'max' | 'last'>): string {
  const parts = [`${num(h.count)} point${h.count === 1 ? '' : 's'}`, `steps ${num(h.first_step)}..${num(h.last_step)}`];
  if (h.min !== undefined) parts.push(`min ${num(h.min)}`);
  if (h.max !== undefined) parts.push(`max ${num(h.max)}`);
  parts.push(h.last !== undefined ? `last ${num(h.last)}` : 'last not finite');
  return parts.join(', ');
}

/** `show --history METRIC`: a header, then `step value time` per point (time as ISO-8601). */
export function renderHistory(v: HistoryView): string {
  const out = [`# ${printable(v.metric)}: ${curveSummary(v)}`, '# step value time'];
  for (const p of v.points) {
    const value = Number.isNaN(p.value) ? 'nan' : p.value === Infinity ? 'inf' : p.value === -Infinity ? '-inf' : String(p.value);
    out.push(`${p.step} ${value} ${p.time === undefined ? '-' : new Date(p.time).toISOString()}`);
  }
  return out.join('\n') + '\n';
}

/** Notes about a shown record, for stderr: stdout carries only the record. */
export function showNotes(v: ShowResult): string[] {
  return v.record.code?.dirty ? ['warning: made from a dirty work tree (uncommitted changes)'] : [];
}

export function renderLog(entries: LogEntry[]): string {
  const out: string[] = [];
  for (const e of entries) {
    const marks = [e.head ? 'head' : '', e.previous.length > 1 ? `joins ${e.previous.length}` : '', e.dirty ? 'dirty' : '']
      .filter(Boolean)
      .join(', ');
    const metric = e.metrics ? Object.entries(e.metrics).filter(([, v]) => typeof v === 'number').slice(0, 2).map(([k, v]) => `${printable(k)}=${v}`).join(' ') : '';
    out.push(`${short(e.id)}  ${printable(e.kind)} ${printable(e.name)}@${e.version}  ${printable(e.created)}  ${printable(e.author ?? '')}${marks ? `  [${marks}]` : ''}${metric ? `  ${metric}` : ''}`);
    // The message on its own indented line, as `git log` does; one line, however long.
    if (e.message) out.push(`    ${printable(e.message.trimEnd())}`);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

/** Notes about a log, for stderr: two heads in one line means a fork, said plainly. */
export function logNotes(entries: LogEntry[]): string[] {
  const headsPerLine = new Map<string, number>();
  for (const e of entries) {
    if (!e.head) continue;
    const line = `${printable(e.kind)} ${printable(e.name)}`;
    headsPerLine.set(line, (headsPerLine.get(line) ?? 0) + 1);
  }
  return [...headsPerLine].filter(([, n]) => n > 1).map(([line, n]) => `note: ${line} has ${n} heads (forked on different branches); the next record joins them`);
}

export function renderVerify(r: VerifyReport): string {
  const out = r.findings.map((f) => `${f.severity}[${f.finding}]: ${printable(f.message)}`);
  out.push(`checked ${r.checked} objects: ${r.errors} error(s), ${r.warnings} warning(s)`);
  return out.join('\n') + '\n';
}

export function renderWhich(r: WhichResult): string {
  if (r.matches.length === 0) return `${printable(r.file)} (sha256 ${short(r.sha256)}): no record holds this content\n`;
  const lines = [`${printable(r.file)} (sha256 ${short(r.sha256)}, ${r.size} bytes):`];
  for (const m of r.matches) {
    const label = m.name !== undefined ? `${m.kind} ${m.name}${m.version !== undefined ? `@${m.version}` : ''}` : m.kind;
    lines.push(`  ${short(m.id)}  ${printable(label)}  ${m.as}${m.path ? ` ${printable(m.path)}` : ''}  ${printable(m.created ?? '')}`);
    if (m.paths) lines.push(`      the same content also at: ${m.paths.filter((p) => p !== m.path).map(printable).join(', ')}`);
    for (const p of m.parents) lines.push(`      ${printable(p.role).padEnd(8)} ${short(p.id)}  ${printable(p.label)}`);
  }
  return lines.join('\n') + '\n';
}

export function renderStatus(r: StatusReport): string {
  const lines: string[] = [];
  for (const d of r.datasets) {
    lines.push(`dataset ${printable(d.name)}@${d.version}: ${d.state}`);
    if (d.problem) lines.push(`    ${printable(d.problem)}`);
    for (const f of d.changed) lines.push(`    changed:  ${printable(f)}`);
    for (const f of d.added) lines.push(`    added:    ${printable(f)}`);
    for (const f of d.removed) lines.push(`    removed:  ${printable(f)}`);
  }
  for (const m of r.models) {
    lines.push(`model ${printable(m.name)}@${m.version}: ${m.state}`);
    for (const a of m.artifacts) if (a.state !== 'clean') lines.push(`    ${a.state.padEnd(8)}  ${printable(a.path)}${a.problem ? `: ${printable(a.problem)}` : ''}`);
    for (const d of m.data) {
      if (d.newer) lines.push(`    data ${printable(d.name)}@${d.version} has a newer version (${short(d.newer)})`);
      if (d.changedOnDisk) lines.push(`    data ${printable(d.name)}@${d.version} changed on disk`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : 'nothing recorded yet\n';
}

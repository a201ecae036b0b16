// `diff` as text; every record-derived string through `printable` (render/safe.ts).
import type { DiffResult } from '../api/diff.js';
import { printable as p } from './safe.js';
import { curveSummary } from './text.js';

const v = (x: unknown) => p(JSON.stringify(x));

export function renderDiff(d: DiffResult): string {
  const out = [`${p(d.from.label)} (${d.from.id.slice(0, 12)}) -> ${p(d.to.label)} (${d.to.id.slice(0, 12)})`];
  const params = d.params;
  if (params.added.length || params.removed.length || params.changed.length) {
    out.push('params:');
    for (const c of params.changed) out.push(`  ~ ${p(c.key)}: ${v(c.from)} -> ${v(c.to)}`);
    for (const c of params.added) out.push(`  + ${p(c.key)}: ${v(c.to)}`);
    for (const c of params.removed) out.push(`  - ${p(c.key)}: ${v(c.from)}`);
  }
  if (d.metrics.length) {
    out.push('metrics:');
    for (const m of d.metrics) {
      const delta = m.delta !== undefined ? ` (${m.delta >= 0 ? '+' : ''}${m.delta})` : '';
      // as params: an added or removed metric shows its one value (review 9: "-> undefined")
      if (m.from === undefined) out.push(`  + ${p(m.key)}: ${v(m.to)}`);
      else if (m.to === undefined) out.push(`  - ${p(m.key)}: ${v(m.from)}`);
      else out.push(`  ~ ${p(m.key)}: ${v(m.from)} -> ${v(m.to)}${delta}`);
    }
  }
  if (d.curves.length) {
    out.push('curves:');
    for (const c of d.curves) {
      out.push(`  ${p(c.metric)}:`);
      out.push(`      from: ${c.from ? curveSummary(c.from) : '(no curve)'}`);
      out.push(`      to:   ${c.to ? curveSummary(c.to) : '(no curve)'}`);
    }
  }
  if (d.data.length) {
    out.push('data:');
    for (const c of d.data) {
      const ver = (x?: { id: string; version?: number }) => (x ? `${p(c.name)}@${x.version ?? '?'} (${x.id.slice(0, 12)})` : '(none)');
      out.push(`  ${ver(c.from)} -> ${ver(c.to)}`);
      for (const f of c.files?.changed ?? []) out.push(`      ~ ${p(f)}`);
      for (const f of c.files?.added ?? []) out.push(`      + ${p(f)}`);
      for (const f of c.files?.removed ?? []) out.push(`      - ${p(f)}`);
    }
  }
  if (d.code && (d.code.from !== d.code.to || d.code.fromDirty !== d.code.toDirty)) {
    const c = (commit?: string, dirty?: boolean) => `${commit ? p(commit.slice(0, 10)) : '(none)'}${dirty ? ' (dirty)' : ''}`;
    out.push(`code: ${c(d.code.from, d.code.fromDirty)} -> ${c(d.code.to, d.code.toDirty)}${d.code.from && d.code.to && d.code.from !== d.code.to ? `  (git log ${p(d.code.from.slice(0, 10))}..${p(d.code.to.slice(0, 10))})` : ''}`);
  }
  if (d.env.length) {
    out.push('env:');
    for (const c of d.env) out.push(`  ${p(c.key)}: ${v(c.from)} -> ${v(c.to)}`);
  }
  if (d.artifacts.length) {
    out.push('artifacts:');
    for (const c of d.artifacts) out.push(`  ${p(c.key)}: ${c.from ? p(String(c.from).slice(0, 12)) : '(none)'} -> ${c.to ? p(String(c.to).slice(0, 12)) : '(none)'}`);
  }
  for (const x of d.parents.added) out.push(`+ parent ${p(x.role)} ${x.id.slice(0, 12)}`);
  for (const x of d.parents.removed) out.push(`- parent ${p(x.role)} ${x.id.slice(0, 12)}`);
  if (out.length === 1) out.push('no differences');
  return out.join('\n') + '\n';
}

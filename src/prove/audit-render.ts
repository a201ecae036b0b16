// The audit report as text (a terminal) or Markdown (a PR or ticket). Messages quote names
// from records, which are untrusted: Markdown escapes what would become markup.
import type { AuditReport } from './audit.js';

const MARK: Record<string, string> = { ok: 'ok', info: 'info', warning: 'WARN', broken: 'BROKEN' };

export function auditText(r: AuditReport): string {
  const lines = [`audit ${r.label} (${r.records} records, ${r.commits} commits)`];
  for (const i of r.items) lines.push(`  ${MARK[i.status]!.padEnd(6)}  ${i.check.padEnd(13)}  ${i.message}`);
  lines.push(r.verdict);
  return lines.join('\n');
}

function md(text: string): string {
  return text.replace(/[\\`*_{}[\]<>|#&]/g, (c) => `\\${c}`);
}

export function auditMarkdown(r: AuditReport): string {
  const icon: Record<string, string> = { ok: '✅', info: 'ℹ️', warning: '⚠️', broken: '❌' };
  const lines = [
    `### mlmeta audit: ${md(r.label)}`,
    '',
    `**${r.ok ? 'OK' : 'BROKEN'}** — ${md(r.verdict)}`,
    '',
    '| | check | finding |',
    '| --- | --- | --- |',
    ...r.items.map((i) => `| ${icon[i.status]} | ${i.check} | ${md(i.message)} |`),
    '',
    `Record id \`${r.id}\`; ${r.records} records and ${r.commits} commits checked.`,
  ];
  return lines.join('\n');
}

import type { CommandModule } from 'yargs';
import { printable } from '../../render/safe.js';
import { short } from '../../render/text.js';
import { countOption, list, out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { kind?: string; name?: string; where?: string[]; since?: string; until?: string; sort?: string; asc?: boolean; limit?: string; offset?: string }

export const findCommand: CommandModule<GlobalArgs, Args> = {
  command: 'find',
  describe: 'Query records by kind, name, time and field expressions',
  builder: (y) => y
    .option('kind', { type: 'string' })
    .option('name', { type: 'string' })
    .option('where', { type: 'string', array: true, describe: 'e.g. "metrics.auc > 0.9 and params.lr <= 0.1" (repeatable: all must hold)' })
    .option('since', { type: 'string', describe: 'created in or after: 2026, 2026-03, 2026-03-14, an ISO-8601 time, or @SECONDS (UTC)' })
    .option('until', { type: 'string', describe: 'created in or before: as --since (2026 means to the end of 2026)' })
    .option('sort', { type: 'string', describe: 'field to sort by, largest first (default: created, newest first)' })
    .option('asc', { type: 'boolean', describe: 'sort smallest first' })
    .option('limit', { type: 'string', requiresArg: true, describe: 'at most this many hits' })
    .option('offset', { type: 'string', requiresArg: true, describe: 'skip this many hits first (paging, with --limit)' })
    .example('$0 find --kind model --where "metrics.auc > 0.9" --sort metrics.auc', 'models that beat 0.9, best first'),
  handler: (args) => {
    const hits = storeFrom(args).find({ kind: args.kind, name: args.name, where: list(args.where), since: args.since, until: args.until, sort: args.sort, ascending: args.asc, limit: countOption(args.limit, '--limit'), offset: countOption(args.offset, '--offset') });
    if (args.json) outJson(hits);
    else {
      out(hits.map((h) => {
        const r = h.record;
        const metrics = r.metrics ? Object.entries(r.metrics).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${printable(k)}=${v}`).join(' ') : '';
        return `${short(h.id)}  ${printable(r.kind)} ${printable(r.name ?? '')}${r.version !== undefined ? `@${r.version}` : ''}  ${printable(r.created ?? '')}${metrics ? `  ${metrics}` : ''}`;
      }).join('\n'));
    }
  },
};

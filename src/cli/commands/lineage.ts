import type { CommandModule } from 'yargs';
import { renderLineageDot, renderLineageMermaid, renderLineageText } from '../../render/lineage.js';
import { countOption, out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { ref: string; up?: boolean; down?: boolean; both?: boolean; depth?: string; kind?: string; format?: string }

export const lineageCommand: CommandModule<GlobalArgs, Args> = {
  command: 'lineage <ref>',
  describe: 'What made this record (--up, default) or what it fed (--down), across all versions',
  builder: (y) => y
    .positional('ref', { type: 'string', demandOption: true })
    .option('up', { type: 'boolean', describe: 'ancestors (default)' })
    .option('down', { type: 'boolean', describe: 'descendants' })
    .option('both', { type: 'boolean', describe: 'ancestors and descendants' })
    .option('depth', { type: 'string', requiresArg: true, describe: 'at most this many hops' })
    .option('kind', { type: 'string', describe: 'list only records of this kind' })
    .option('format', { choices: ['text', 'json', 'dot', 'mermaid'] as const, default: 'text' })
    .example('$0 lineage churn@production', 'what made the production model?')
    .example('$0 lineage train-set@1 --down --kind model', 'every model that descends from this data'),
  handler: (args) => {
    const direction = args.both || (args.up && args.down) ? 'both' : args.down ? 'down' : 'up';
    const l = storeFrom(args).lineage(args.ref, { direction, depth: countOption(args.depth, '--depth'), kind: args.kind });
    const format = args.json ? 'json' : args.format;
    if (format === 'json') outJson(l);
    else if (format === 'dot') out(renderLineageDot(l));
    else if (format === 'mermaid') out(renderLineageMermaid(l));
    else out(renderLineageText(l));
  },
};

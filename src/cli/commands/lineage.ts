import type { CommandModule } from 'yargs';
import type { LineageOptions } from '../../graph/lineage.js';
import { renderLineageDot, renderLineageMermaid, renderLineageText, writeLineageJson } from '../../render/lineage.js';
import { countOption, out, storeFrom, type GlobalArgs } from '../context.js';

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
    const opts: LineageOptions = { direction, depth: countOption(args.depth, '--depth'), kind: args.kind };
    const store = storeFrom(args);
    const format = args.json ? 'json' : args.format;
    if (format === 'json') {
      // Store.lineage's answer, its nodes spliced from the index's JSON text rather than made
      // into objects and printed again (render/lineage.ts writeLineageJson).
      // A chunk is the stream's until its write is done: at once for a file or a pipe with room
      // (nothing left queued), else when the write's callback runs.
      writeLineageJson(store.lineagePlan(args.ref, opts), (chunk, release) => {
        process.stdout.write(chunk, () => release());
        if (process.stdout.writableLength === 0) release();
      });
      return;
    }
    const l = store.lineage(args.ref, opts);
    if (format === 'dot') out(renderLineageDot(l));
    else if (format === 'mermaid') out(renderLineageMermaid(l));
    else out(renderLineageText(l));
  },
};

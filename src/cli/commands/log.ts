import type { CommandModule } from 'yargs';
import { logNotes, renderLog } from '../../render/text.js';
import { note, out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { name?: string; kind?: string; limit?: number; offset?: number }

export const logCommand: CommandModule<GlobalArgs, Args> = {
  command: 'log [name]',
  describe: 'List versions, newest first, with their messages; forks and joins are marked',
  builder: (y) => y
    .positional('name', { type: 'string', describe: 'only this name' })
    .option('kind', { type: 'string', describe: 'only this kind' })
    .option('limit', { type: 'number', describe: 'at most this many versions' })
    .option('offset', { type: 'number', describe: 'skip this many versions first (paging, with --limit)' })
    .example('$0 log churn-model', 'every version of churn-model'),
  handler: (args) => {
    const entries = storeFrom(args).log(args.name, { kind: args.kind, limit: args.limit, offset: args.offset });
    if (args.json) outJson(entries);
    else {
      out(renderLog(entries));
      for (const n of logNotes(entries)) note(n);
    }
  },
};

import type { CommandModule } from 'yargs';
import { outStoredBytes, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { id: string }

export const catCommand: CommandModule<GlobalArgs, Args> = {
  command: 'cat <id>',
  describe: "Print a record's exact stored bytes (hash-checked); any ref works",
  builder: (y) => y.positional('id', { type: 'string', demandOption: true, describe: 'record id or ref' })
    .example('$0 cat 3f2a9c01', 'the raw YAML; `sha256sum` of it equals the id'),
  handler: (args) => {
    const store = storeFrom(args);
    outStoredBytes(store.cat(store.resolve(args.id)));
  },
};

import type { CommandModule } from 'yargs';
import { renderShow, showNotes } from '../../render/text.js';
import { note, out, outJson, outStoredBytes, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { ref: string; yaml?: boolean; kind?: string }

export const showCommand: CommandModule<GlobalArgs, Args> = {
  command: 'show <ref>',
  describe: 'Show a record: id, fields, and its parents by name and version',
  builder: (y) => y
    .positional('ref', { type: 'string', demandOption: true, describe: 'id, prefix (4+ hex), NAME, NAME@N or NAME@ALIAS' })
    .option('yaml', { type: 'boolean', describe: 'print the stored YAML' })
    .option('kind', { type: 'string', describe: 'only records of this kind (when a name is shared)' })
    .example('$0 show churn-model@2', 'version 2 of churn-model')
    .example('$0 show 3f2a --json', 'by id prefix, as JSON'),
  handler: (args) => {
    const store = storeFrom(args);
    const view = store.show(args.ref, { kind: args.kind });
    if (args.json) outJson(view);
    else if (args.yaml) outStoredBytes(store.cat(view.id));
    else {
      out(renderShow(view));
      for (const n of showNotes(view)) note(n);
    }
  },
};

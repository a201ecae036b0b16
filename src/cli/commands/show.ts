import type { CommandModule } from 'yargs';
import { renderHistory, renderShow, showNotes } from '../../render/text.js';
import { note, out, outJson, outStoredBytes, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { ref: string; yaml?: boolean; kind?: string; history?: string }

export const showCommand: CommandModule<GlobalArgs, Args> = {
  command: 'show <ref>',
  describe: 'Show a record: id, fields, and its parents by name and version',
  builder: (y) => y
    .positional('ref', { type: 'string', demandOption: true, describe: 'id, prefix (4+ hex), NAME, NAME@N or NAME@ALIAS' })
    .option('yaml', { type: 'boolean', describe: 'print the stored YAML' })
    .option('kind', { type: 'string', describe: 'only records of this kind (when a name is shared)' })
    .option('history', { type: 'string', requiresArg: true, describe: "print one metric's curve: step, value, time per point" })
    .example('$0 show churn-model@2', 'version 2 of churn-model')
    .example('$0 show 3f2a --json', 'by id prefix, as JSON')
    .example('$0 show churn-run --history loss', 'the loss curve of the latest churn-run'),
  handler: (args) => {
    const store = storeFrom(args);
    if (args.history !== undefined) {
      const h = store.history(args.ref, args.history, { kind: args.kind });
      // JSON has no NaN or infinity: such values are the strings "nan", "inf", "-inf".
      if (args.json) outJson({ ...h, points: h.points.map((p) => (Number.isFinite(p.value) ? p : { ...p, value: Number.isNaN(p.value) ? 'nan' : p.value > 0 ? 'inf' : '-inf' })) });
      else out(renderHistory(h));
      return;
    }
    const view = store.show(args.ref, { kind: args.kind });
    if (args.json) outJson(view);
    else if (args.yaml) outStoredBytes(store.cat(view.id));
    else {
      out(renderShow(view));
      for (const n of showNotes(view)) note(n);
    }
  },
};

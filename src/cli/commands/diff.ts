import type { CommandModule } from 'yargs';
import { renderDiff } from '../../render/diff.js';
import { out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { ref: string; other?: string; kind?: string }

export const diffCommand: CommandModule<GlobalArgs, Args> = {
  command: 'diff <ref> [other]',
  describe: 'What changed: params, metrics, data files, code, environment (REF vs its previous version, or REF → OTHER)',
  builder: (y) => y
    .positional('ref', { type: 'string', demandOption: true })
    .positional('other', { type: 'string' })
    .option('kind', { type: 'string', describe: 'resolve names among records of this kind' })
    .example('$0 diff churn', 'the latest churn against the version before it')
    .example('$0 diff churn@1 churn@3', 'from version 1 to version 3'),
  handler: (args) => {
    const d = storeFrom(args).diff(args.ref, args.other, { kind: args.kind });
    if (args.json) outJson(d);
    else out(renderDiff(d));
  },
};

import type { CommandModule } from 'yargs';
import { renderStatus } from '../../render/text.js';
import { out, outJson, storeFrom, type GlobalArgs } from '../context.js';

export const statusCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'status',
  describe: 'Compare the newest datasets and models with the files on disk',
  builder: (y) => y.example('$0 status', 'which data files changed, which models are stale'),
  handler: async (args) => {
    const report = await storeFrom(args).status();
    if (args.json) outJson(report);
    else out(renderStatus(report));
  },
};

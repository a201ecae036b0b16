import type { CommandModule } from 'yargs';
import { renderWhich } from '../../render/text.js';
import { out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { file: string }

export const whichCommand: CommandModule<GlobalArgs, Args> = {
  command: 'which <file>',
  describe: 'Find the records that made or used this exact file content, newest first',
  builder: (y) => y
    .positional('file', { type: 'string', demandOption: true })
    .example('$0 which model.bin', 'which run made this model, from which data?'),
  handler: (args) => {
    const res = storeFrom(args).which(args.file);
    if (args.json) outJson(res);
    else out(renderWhich(res));
    if (res.matches.length === 0) process.exitCode = 1;
  },
};

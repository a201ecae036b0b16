import type { CommandModule } from 'yargs';
import { renderVerify } from '../../render/text.js';
import { outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { ref?: string }

export const verifyCommand: CommandModule<GlobalArgs, Args> = {
  command: 'verify [ref]',
  describe: 'Re-hash and check every record (or REF and its ancestors); exit 1 on errors',
  builder: (y) => y
    .positional('ref', { type: 'string', describe: 'check only this record and its ancestors' })
    .example('$0 verify', 'check the whole store'),
  handler: (args) => {
    const report = storeFrom(args).verify(args.ref);
    if (args.json) outJson(report);
    else process.stdout.write(renderVerify(report));
    if (report.errors > 0) process.exitCode = 1;
  },
};

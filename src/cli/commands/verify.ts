import type { CommandModule } from 'yargs';
import { renderVerify } from '../../render/text.js';
import { note, out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { ref?: string; fix?: boolean; signatures?: boolean; 'allowed-signers'?: string }

export const verifyCommand: CommandModule<GlobalArgs, Args> = {
  command: 'verify [ref]',
  describe: 'Re-hash and check every record (or REF and its ancestors); exit 1 on errors',
  builder: (y) => y
    .positional('ref', { type: 'string', describe: 'check only this record and its ancestors' })
    .option('fix', { type: 'boolean', describe: 'first remove temp files left by writers that died' })
    .option('signatures', { type: 'boolean', describe: "also check signature records with ssh-keygen (trust: git's gpg.ssh.allowedSignersFile)" })
    .option('allowed-signers', { type: 'string', describe: 'with --signatures: the allowed-signers file to trust' })
    .example('$0 verify', 'check the whole store')
    .example('$0 verify --fix', 'clean up after a crash, then check'),
  handler: (args) => {
    const report = storeFrom(args).verify(args.ref, { fix: args.fix, signatures: args.signatures ? { allowedSigners: args['allowed-signers'] } : undefined });
    for (const f of report.fixed ?? []) note(`removed objects/${f} (temp file of a writer that died)`);
    if (args.json) outJson(report);
    else out(renderVerify(report));
    if (report.errors > 0) process.exitCode = 1;
  },
};

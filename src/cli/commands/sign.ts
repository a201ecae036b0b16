import type { CommandModule } from 'yargs';
import { signRecord } from '../../prove/sign.js';
import { note, out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { ref: string; key?: string; 'allowed-signers'?: string; message?: string; date?: string }

export const signCommand: CommandModule<GlobalArgs, Args> = {
  command: 'sign <ref>',
  describe: 'Sign a record (an SSH signature over its exact bytes, namespace mlmeta) as a new signature record',
  builder: (y) => y
    .positional('ref', { type: 'string', demandOption: true, describe: 'the record to sign (its ancestry is covered: parents are hashes)' })
    .option('key', { type: 'string', describe: "SSH key file for ssh-keygen (default: git's user.signingKey)" })
    .option('allowed-signers', { type: 'string', describe: "names the signer (default: git's gpg.ssh.allowedSignersFile)" })
    .option('message', { alias: 'm', type: 'string', describe: 'free text' })
    .option('date', { type: 'string', describe: 'fix `created`' })
    .example('$0 sign churn-model@3', "sign with git's user.signingKey")
    .example('$0 sign churn-model@3 --key ~/.ssh/mlmeta_ed25519', 'sign with this key'),
  handler: (args) => {
    const res = signRecord(storeFrom(args), args.ref, { key: args.key, allowedSigners: args['allowed-signers'], message: args.message, date: args.date });
    if (args.json) return outJson(res);
    note(`signed ${res.signed.slice(0, 12)} with ${res.fingerprint}${res.principal ? ` (${res.principal})` : ''}`);
    out(res.id);
  },
};

import * as fs from 'node:fs';
import type { CommandModule } from 'yargs';
import { MlmetaError, ioError } from '../../errors.js';
import { attest } from '../../prove/attest.js';
import { list, note, out, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { refs: string[]; key?: string; output?: string }

export const attestCommand: CommandModule<GlobalArgs, Args> = {
  command: 'attest <refs..>',
  describe: 'in-toto Statement v1 + SLSA Provenance v1 for model versions, as signed DSSE envelopes, one JSON line each',
  builder: (y) => y
    .positional('refs', { type: 'string', array: true, demandOption: true, describe: 'model versions or runs' })
    .option('key', { type: 'string', describe: 'PEM private key (PKCS#8: openssl genpkey -algorithm ed25519, or EC P-256)' })
    .option('output', { alias: 'o', type: 'string', describe: 'append the envelopes to this file (e.g. model.intoto.jsonl)' })
    .example('$0 attest churn-model@3 --key attest.pem -o churn.intoto.jsonl', 'a provenance attestation for version 3'),
  handler: (args) => {
    if (!args.key) throw new MlmetaError('E_SIGNATURE', 'attest needs --key FILE: a PEM private key (openssl genpkey -algorithm ed25519 -out attest.pem)');
    const lines = attest(storeFrom(args), list(args.refs), { key: args.key });
    if (args.output) {
      try { fs.appendFileSync(args.output, lines.map((l) => `${l}\n`).join('')); } catch (e) { throw ioError(e, `cannot write ${args.output}`); }
      note(`${lines.length} attestation(s) appended to ${args.output}`);
    } else out(lines.join('\n'));
  },
};

import type { CommandModule } from 'yargs';
import { MlmetaError } from '../../errors.js';
import { auditRecord } from '../../prove/audit.js';
import { auditMarkdown, auditText } from '../../prove/audit-render.js';
import { out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { ref: string; format?: string; data?: boolean; 'require-signature'?: boolean; 'allowed-signers'?: string; 'revocation-file'?: string }

export const auditCommand: CommandModule<GlobalArgs, Args> = {
  command: 'audit <ref>',
  describe: "An auditor's report on a record: ancestry intact, data lineage, commits, data on disk, signatures, alias moves, reproductions; exit 1 when broken",
  builder: (y) => y
    .positional('ref', { type: 'string', demandOption: true, describe: 'a model version (NAME@ALIAS also checks every move of the alias)' })
    .option('format', { type: 'string', choices: ['text', 'json', 'markdown'], describe: 'text (default), json (as --json) or markdown (for a PR or ticket)' })
    .option('data', { type: 'boolean', default: true, describe: 're-hash the dataset files on disk (--no-data skips it)' })
    .option('require-signature', { type: 'boolean', describe: 'an unsigned record is broken, not a warning' })
    .option('allowed-signers', { type: 'string', describe: "trusted signers (default: git's gpg.ssh.allowedSignersFile)" })
    .option('revocation-file', { type: 'string', describe: "revoked keys (default: git's gpg.ssh.revocationFile)" })
    .example('$0 audit churn-model@production', 'audit what production serves, and every move of that alias')
    .example('$0 audit churn-model@3 --format markdown > audit.md', 'a report for a pull request'),
  handler: (args) => {
    const report = auditRecord(storeFrom(args), args.ref, { data: args.data, requireSignature: args['require-signature'], allowedSigners: args['allowed-signers'], revocation: args['revocation-file'] });
    const format = args.json ? 'json' : args.format ?? 'text';
    if (args.json && args.format && args.format !== 'json') throw new MlmetaError('E_USAGE', '--json and --format markdown/text do not go together');
    if (format === 'json') outJson(report);
    else out(format === 'markdown' ? auditMarkdown(report) : auditText(report));
    if (!report.ok) process.exitCode = 1;
  },
};

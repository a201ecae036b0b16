import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { ioError } from '../../errors.js';
import { exportModelCard } from '../../interop/model-card.js';
import { exportOpenLineage, postEvents } from '../../interop/openlineage.js';
import { exportProv } from '../../interop/prov.js';
import { writeFileAtomic } from '../../store/atomic.js';
import { note, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { format?: string; ref?: string; output?: string; url?: string; namespace?: string }

/** Exports are files, written byte for byte (stdout or -o FILE); no terminal escaping of their own bytes. */
function emit(text: string, output: string | undefined): void {
  if (output === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileAtomic(path.resolve(output), text, { mode: 0o644 });
  } catch (e) {
    throw ioError(e, `cannot write ${output}`);
  }
}

export const exportCommand: CommandModule<GlobalArgs, Args> = {
  command: 'export <format> <ref>',
  describe: 'Send lineage out: OpenLineage events, W3C PROV-JSON, or a Hugging Face model card',
  builder: (y) => y
    .positional('format', { type: 'string', choices: ['openlineage', 'prov', 'model-card'] })
    .positional('ref', { type: 'string', describe: 'the record whose lineage to export' })
    .option('output', { alias: 'o', type: 'string', describe: 'write to this file instead of stdout' })
    .option('url', { type: 'string', describe: 'openlineage: POST each event to URL/api/v1/lineage (Marquez, DataHub, …)' })
    .option('namespace', { type: 'string', describe: 'openlineage: the job and dataset namespace (default mlmeta)' })
    .example('$0 export openlineage churn@3 --url http://localhost:5000', 'send to Marquez')
    .example('$0 export model-card churn@production -o README.md', 'a Hugging Face model card'),
  handler: async (args) => {
    const store = storeFrom(args);
    const ref = args.ref!;
    if (args.format === 'openlineage') {
      const events = exportOpenLineage(store, ref, args.namespace);
      if (args.url !== undefined) {
        const sent = await postEvents(args.url, events);
        note(`sent ${sent} OpenLineage event${sent === 1 ? '' : 's'}`);
        if (args.output === undefined) return;
      }
      // JSON Lines: one event per line, as lineage services and `jq -c` take them.
      return emit(events.map((e) => JSON.stringify(e)).join('\n') + '\n', args.output);
    }
    if (args.format === 'prov') return emit(`${JSON.stringify(exportProv(store, ref), null, 2)}\n`, args.output);
    return emit(exportModelCard(store, ref), args.output);
  },
};

import * as fs from 'node:fs';
import type { CommandModule } from 'yargs';
import { runDemo } from '../../api/demo.js';
import { openStore } from '../../api/store.js';
import { renderLineageText } from '../../render/lineage.js';
import { renderLog } from '../../render/text.js';
import { out, outJson, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { dir?: string }

export const demoCommand: CommandModule<GlobalArgs, Args> = {
  command: 'demo [dir]',
  describe: 'Build a small real history in a new temporary git repo and show it',
  builder: (y) => y
    .positional('dir', { type: 'string', describe: 'an empty folder to use (default: a new temp folder)' })
    .example('$0 demo', 'try mlmeta without touching your projects'),
  handler: async (args) => {
    const res = await runDemo(args.dir);
    if (args.json) return outJson(res);
    const store = openStore({ cwd: res.dir, env: { ...process.env, MLMETA_DIR: '' } });
    out(`Made a demo project with lineage in ${res.dir}\n`);
    out('$ mlmeta log');
    out(renderLog(store.log()));
    out('$ mlmeta lineage churn-model@production --depth 2');
    out(renderLineageText(store.lineage('churn-model@production', { depth: 2 })));
    if (res.signing) out(`\n${res.signing.note}`);
    const bin = process.argv[1] ? `node ${fs.realpathSync(process.argv[1])}` : 'mlmeta';
    const tries = ['show churn-model@production', 'diff churn-model', 'lineage data@1 --down --kind model', 'alias --history churn-model', 'find --kind model --where "metrics.auc > 0.8"', 'audit churn-model@production', 'reproduce churn-model@3', 'ui', 'verify --signatures'];
    out(['', 'Try it yourself:', `  cd ${res.dir}`, `  M="${bin}"`, ...tries.map((c) => `  $M ${c}`)].join('\n'));
  },
};

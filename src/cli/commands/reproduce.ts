import type { CommandModule } from 'yargs';
import { reproduce, type ReproduceResult } from '../../prove/reproduce.js';
import { signerFor } from '../../prove/sign.js';
import { list, note, out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { ref: string; 'data-from'?: string; 'allow-data-drift'?: boolean; tolerance?: string[]; keep?: boolean; sign?: boolean }

const short = (h?: string) => (h ? h.slice(0, 12) : '(missing)');

function render(r: ReproduceResult): string {
  const lines = [`reproduce ${short(r.reproduced)} (run ${short(r.run)}) at commit ${short(r.commit)}${r.approximate ? ' — approximate: the run was made from a dirty work tree' : ''}`];
  for (const o of r.outputs) lines.push(`  output  ${o.same ? 'same     ' : 'DIFFERS  '}  ${o.path}  ${short(o.recorded)}${o.same ? '' : ` -> ${short(o.now)}`}`);
  for (const m of r.metrics) lines.push(`  metric  ${m.delta === 0 ? 'same     ' : m.within ? 'within   ' : 'DIFFERS  '}  ${m.metric}  ${m.recorded}${m.delta === 0 ? '' : ` -> ${m.now} (Δ ${m.delta})`}`);
  for (const e of r.drift.env) lines.push(`  env     drifted    ${e.key}  ${e.recorded ?? '(none)'} -> ${e.now ?? '(none)'}`);
  for (const d of r.drift.data) lines.push(`  data    ${d.state.padEnd(9)}  ${d.path}  (${d.dataset})`);
  if (r.drift.params) lines.push(`  params  ${r.drift.params}`);
  lines.push(`verdict: ${r.verdict}  (command ${r.durationSeconds.toFixed(2)} s, mlmeta ${r.overheadSeconds.toFixed(2)} s)${r.worktree ? `; worktree kept at ${r.worktree}` : ''}`);
  return lines.join('\n');
}

export const reproduceCommand: CommandModule<GlobalArgs, Args> = {
  command: 'reproduce <ref>',
  describe: 'Re-run the recorded run of REF at its commit in a temp worktree, with verified inputs; compare outputs and metrics; exit 1 when they differ',
  builder: (y) => y
    .positional('ref', { type: 'string', demandOption: true, describe: 'a model version or a run' })
    .option('data-from', { type: 'string', describe: 'a folder searched by content hash for inputs not in the work tree (a backup, another clone)' })
    .option('allow-data-drift', { type: 'boolean', describe: 'run even when inputs are missing or changed; the drift goes into the report' })
    .option('tolerance', { type: 'string', array: true, describe: 'metrics.auc=0.005 (absolute), auc=5% (relative), or 5% for every metric (repeatable)' })
    .option('keep', { type: 'boolean', describe: 'keep the worktree (its path is printed)' })
    .option('sign', { type: 'boolean', describe: 'sign the reproduction record' })
    .example('$0 reproduce churn-model@3', 'bit for bit?')
    .example('$0 reproduce churn-model@3 --tolerance metrics.auc=0.005 --data-from /backup/data', 'a noisy run, inputs from a backup'),
  handler: async (args) => {
    const store = storeFrom(args);
    const sign = signerFor(store, args.sign ?? false);
    const res = await reproduce(store, args.ref, {
      dataFrom: args['data-from'], allowDataDrift: args['allow-data-drift'], tolerance: list(args.tolerance), keep: args.keep,
      stdio: args.json ? 'stderr' : 'inherit',
    });
    for (const w of res.warnings) note(`warning: ${w}`);
    const signature = sign ? sign(res.id).id : undefined;
    if (args.json) outJson({ ...res, ...(signature ? { signature } : {}) });
    else {
      out(render(res));
      note(`reproduction ${res.id}${signature ? `, signature ${signature.slice(0, 12)}` : ''}`);
    }
    if (res.verdict === 'differs') process.exitCode = 1;
  },
};

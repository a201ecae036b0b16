import type { CommandModule } from 'yargs';
import { parseParentArg } from '../../api/record.js';
import { mergeMappings, parseMetricPairs, parseParamPairs, readMappingFile } from '../../capture/values.js';
import { MlmetaError } from '../../errors.js';
import { signerFor } from '../../prove/sign.js';
import { envOptions, list, note, out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs {
  kind: string;
  paths?: string[];
  exclude?: string[];
  env?: string[];
  name?: string;
  param?: string[];
  params?: string;
  metric?: string[];
  metrics?: string;
  parent?: string[];
  data?: string[];
  artifact?: string[];
  message?: string;
  code?: string;
  date?: string;
  sign?: boolean;
}

/** Flags that do not apply to `record dataset PATH…`. */
const DATASET_FOREIGN = ['param', 'params', 'metric', 'metrics', 'env', 'parent', 'data', 'artifact'] as const;

export const recordCommand: CommandModule<GlobalArgs, Args> = {
  command: 'record <kind> [paths..]',
  describe: 'Record a dataset, model, run, eval or a kind of your own; prints the new id',
  builder: (y) => y
    .positional('kind', { type: 'string', demandOption: true, describe: 'dataset, model, run, eval, or [a-z][a-z0-9-]*' })
    .positional('paths', { type: 'string', array: true, describe: 'for datasets: files and folders to hash' })
    .option('exclude', { type: 'string', array: true, describe: 'for datasets: gitignore-style glob to leave out (repeatable)' })
    .option('env', { type: 'string', array: true, describe: 'none, or KEY=VALUE to add (repeatable); OS/Node/Python are captured by default' })
    .option('name', { type: 'string', describe: 'the name of the thing (versioned kinds)' })
    .option('param', { type: 'string', array: true, describe: 'key=value, typed like YAML (repeatable; a.b=1 nests)' })
    .option('params', { type: 'string', describe: 'YAML or JSON file of params' })
    .option('metric', { type: 'string', array: true, describe: 'key=number (repeatable)' })
    .option('metrics', { type: 'string', describe: 'YAML or JSON file of metrics' })
    .option('parent', { type: 'string', array: true, describe: '[ROLE=]REF (repeatable; default role input)' })
    .option('data', { type: 'string', array: true, describe: 'dataset used: a path (hashed) or a REF (repeatable)' })
    .option('artifact', { type: 'string', array: true, describe: 'file the record produced, hashed (repeatable)' })
    .option('message', { alias: 'm', type: 'string', describe: 'free text' })
    .option('code', { type: 'string', default: 'auto', describe: 'auto (read git), none, or a commit' })
    .option('sign', { type: 'boolean', describe: 'sign the new record (SSH key from git user.signingKey); default: sign in .mlmeta/config.yaml' })
    .option('date', { type: 'string', describe: 'fix `created` (2026-03-14, an ISO-8601 time, or @SECONDS; also SOURCE_DATE_EPOCH)' })
    .example('$0 record dataset data/train', 'hash data/train into a new version of dataset "data/train"')
    .example('$0 record model --name churn --data train@2 --param lr=0.1 --metric auc=0.91 --artifact model.pkl', 'the next version of churn')
    .example('$0 record eval --parent model=churn@3 --metrics eval.json', 'an evaluation of churn version 3'),
  handler: async (args) => {
    const store = storeFrom(args);
    const progress = !args.json && process.stderr.isTTY === true;
    const paths = list(args.paths);
    const sign = signerFor(store, args.sign);
    if (paths.length && args.kind !== 'dataset') throw new MlmetaError('E_USAGE', 'file arguments are only for `record dataset`; use --artifact or --data');
    if (args.kind === 'dataset' && paths.length) {
      // A dataset of files is its files: flags for other records would be silently lost.
      // (`--env none` is what a dataset records anyway, so it is accepted.)
      const foreign = DATASET_FOREIGN.filter((f) => args[f] !== undefined && !(f === 'env' && list(args.env).every((v) => v === 'none')));
      if (foreign.length) throw new MlmetaError('E_USAGE', `record dataset PATH… does not take ${foreign.map((f) => `--${f}`).join(', ')}`);
      const ds = await store.recordDataset({ paths, name: args.name, exclude: list(args.exclude), message: args.message, date: args.date, code: args.code, progress });
      for (const w of ds.warnings) note(`warning: ${w}`);
      if (ds.reused) note(`unchanged: dataset ${ds.name}@${ds.version} already holds this data`);
      if (ds.outside) note(`warning: ${paths.join(', ')} is outside the project; recorded as an absolute path`);
      if (sign) note(`signature ${sign(ds.id).id}`);
      if (args.json) outJson(ds);
      else out(ds.id);
      return;
    }
    if (args.exclude !== undefined) throw new MlmetaError('E_USAGE', '--exclude is only for `record dataset PATH…`');
    const { env, envExtra } = envOptions(list(args.env));
    const params = mergeMappings(args.params ? readMappingFile(args.params, 'params') : {}, parseParamPairs(list(args.param)));
    const metrics = mergeMappings(args.metrics ? readMappingFile(args.metrics, 'metrics') : {}, parseMetricPairs(list(args.metric)));
    const res = await store.record({
      kind: args.kind,
      name: args.name,
      params,
      metrics,
      parents: list(args.parent).map(parseParentArg),
      data: list(args.data),
      artifacts: list(args.artifact),
      message: args.message,
      code: args.code,
      date: args.date,
      env,
      envExtra,
    });
    for (const w of res.warnings) note(`warning: ${w}`);
    if (sign) note(`signature ${sign(res.id).id}`);
    if (args.json) outJson({ id: res.id, created: res.created, record: res.record });
    else out(res.id);
  },
};

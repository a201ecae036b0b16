import type { CommandModule } from 'yargs';
import { parseMetricPairs, parseParamPairs } from '../../capture/values.js';
import { signerFor } from '../../prove/sign.js';
import { envOptions, list, note, out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs {
  model?: string;
  name?: string;
  input?: string[];
  output?: string[];
  params?: string;
  param?: string[];
  metrics?: string;
  metric?: string[];
  message?: string;
  env?: string[];
  code?: string;
  sign?: boolean;
  '--'?: string[];
}

export const runCommand: CommandModule<GlobalArgs, Args> = {
  command: 'run',
  describe: "Run a command and record it: inputs, outputs, params, metrics, code, environment; with --model, the model's next version",
  builder: (y) => y
    .parserConfiguration({ 'populate--': true })
    .usage('$0 run [options] -- CMD [ARGS…]')
    .option('model', { type: 'string', describe: 'record the next version of this model when the command succeeds' })
    .option('name', { type: 'string', describe: 'name of the run (default: MODEL-run, or run)' })
    .option('input', { type: 'string', array: true, describe: 'data read: a path (hashed before the command) or a dataset REF (repeatable)' })
    .option('output', { type: 'string', array: true, describe: 'file or folder the command must write; hashed after it (repeatable)' })
    .option('params', { type: 'string', describe: 'YAML or JSON params file (read before the command)' })
    .option('param', { type: 'string', array: true, describe: 'key=value (repeatable)' })
    .option('metrics', { type: 'string', describe: 'YAML or JSON metrics file the command writes (read after it)' })
    .option('metric', { type: 'string', array: true, describe: 'key=number (repeatable)' })
    .option('message', { alias: 'm', type: 'string', describe: 'free text' })
    .option('env', { type: 'string', array: true, describe: 'none, or KEY=VALUE to add (repeatable)' })
    .option('sign', { type: 'boolean', describe: 'sign the model (or the run) once recorded; default: sign in .mlmeta/config.yaml' })
    .option('code', { type: 'string', default: 'auto', describe: 'auto (read git), none, or a commit' })
    .example('$0 run --model churn --input data --output model.bin --params params.yaml --metrics metrics.json -- python train.py', 'train and record churn\'s next version'),
  handler: async (args) => {
    const store = storeFrom(args);
    const { env, envExtra } = envOptions(list(args.env));
    const sign = signerFor(store, args.sign);
    const res = await store.run({
      command: list(args['--']),
      model: args.model,
      name: args.name,
      inputs: list(args.input),
      outputs: list(args.output),
      paramsFile: args.params,
      params: parseParamPairs(list(args.param)),
      metricsFile: args.metrics,
      metrics: parseMetricPairs(list(args.metric)),
      message: args.message,
      env,
      envExtra,
      code: args.code,
      progress: !args.json && process.stderr.isTTY === true,
      // with --json, stdout carries only mlmeta's JSON: the command's stdout goes to stderr
      stdio: args.json ? 'stderr' : 'inherit',
    });
    for (const w of res.warnings) note(`warning: ${w}`);
    if (sign) note(`signature ${sign(res.model ?? res.run).id}`);
    if (args.json) outJson(res);
    else {
      note(`mlmeta: command exited ${res.exitCode}${res.signal ? ` (${res.signal})` : ''} after ${res.durationSeconds}s; run ${res.run.slice(0, 12)}${res.model ? `, model ${res.model.slice(0, 12)}` : ''}`);
      out(res.model ?? res.run);
    }
    // The command's own exit code is mlmeta's.
    if (res.exitCode !== 0) process.exitCode = res.exitCode;
  },
};

// `mlmeta demo`: a small but real history in a new temporary git repo — two dataset
// versions, three model versions trained by a real command, code commits in between, and
// a `production` alias — made through the same library calls a user's project would use.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MlmetaError } from '../errors.js';
import { initStore, type Store } from './store.js';
import { reproduce } from '../prove/reproduce.js';
import { signRecord } from '../prove/sign.js';

const TRAIN_JS = `// A stand-in training script: reads data/, params.json; writes model.bin, metrics.json.
const fs = require('fs');
const params = JSON.parse(fs.readFileSync('params.json', 'utf8'));
const rows = fs.readdirSync('data').flatMap((f) => fs.readFileSync('data/' + f, 'utf8').trim().split('\\n').slice(1));
const auc = Math.min(0.99, 0.7 + rows.length * 0.02 + params.epochs * 0.01);
fs.writeFileSync('model.bin', JSON.stringify({ weights: rows.length * params.lr, params }));
fs.writeFileSync('metrics.json', JSON.stringify({ auc: Number(auc.toFixed(4)), rows: rows.length }));
console.log('trained on ' + rows.length + ' rows, auc ' + auc.toFixed(4));
`;

export interface DemoResult {
  dir: string;
  datasets: string[];
  models: string[];
  alias: string;
  /** the demo's SSH signing key and allowed-signers file: outside the repo and the store */
  signing?: { keys: string; signature: string; reproduction: string; note: string };
}

function git(dir: string, ...args: string[]): void {
  try {
    execFileSync('git', args, {
      cwd: dir,
      stdio: 'ignore',
      env: { ...process.env, GIT_AUTHOR_NAME: 'mlmeta demo', GIT_AUTHOR_EMAIL: 'demo@mlmeta.invalid', GIT_COMMITTER_NAME: 'mlmeta demo', GIT_COMMITTER_EMAIL: 'demo@mlmeta.invalid' },
    });
  } catch {
    throw new MlmetaError('E_GIT', `the demo needs git: \`git ${args.join(' ')}\` failed`);
  }
}

function write(dir: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
}

export async function runDemo(target?: string): Promise<DemoResult> {
  const dir = target ? path.resolve(target) : fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-demo-'));
  fs.mkdirSync(dir, { recursive: true });
  if (fs.readdirSync(dir).length) throw new MlmetaError('E_BAD_INPUT', `demo folder ${dir} is not empty`);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'mlmeta demo');
  git(dir, 'config', 'user.email', 'demo@mlmeta.invalid');
  write(dir, 'train.js', TRAIN_JS);
  write(dir, 'params.json', JSON.stringify({ lr: 0.1, epochs: 3 }, null, 2));
  write(dir, 'data/customers.csv', 'id,tenure,churned\n1,12,0\n2,3,1\n3,40,0\n');
  write(dir, '.gitignore', 'model.bin\nmetrics.json\n');
  const { store } = initStore({ cwd: dir, env: { ...process.env, MLMETA_DIR: '' } });
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'churn model: first version');

  const train = (s: Store) => s.run({
    model: 'churn-model', inputs: ['data'], outputs: ['model.bin'], paramsFile: 'params.json', metricsFile: 'metrics.json',
    command: [process.execPath, 'train.js'], stdio: 'ignore',
  });
  const commitAll = (msg: string) => { git(dir, 'add', '.'); git(dir, 'commit', '-q', '-m', msg); };

  const m1 = await train(store);
  commitAll('record churn-model@1');
  write(dir, 'params.json', JSON.stringify({ lr: 0.05, epochs: 5 }, null, 2));
  commitAll('tune: lower lr, more epochs');
  const m2 = await train(store);
  commitAll('record churn-model@2');
  write(dir, 'data/customers.csv', 'id,tenure,churned\n1,12,0\n2,3,1\n3,40,0\n4,7,1\n5,22,0\n');
  commitAll('data: two more customers');
  const m3 = await train(store);
  commitAll('record churn-model@3');
  const alias = store.setAlias({ alias: 'production', ref: m3.model!, message: 'best auc so far' });
  commitAll('promote churn-model@3 to production');
  const signing = await signAndReproduce(dir, store, m3.model!, alias.id);
  if (signing) commitAll('sign and reproduce churn-model@3');
  const datasets = store.log('data', { kind: 'dataset' }).map((e) => e.id);
  return { dir, datasets, models: [m1.model!, m2.model!, m3.model!], alias: alias.id, ...(signing ? { signing } : {}) };
}

/**
 * A demo signing key, made for the demo in a temp folder of its own — never in the repo or
 * the store — trusted through an allowed-signers file there, set in the demo repo's git
 * config as a user would. Skipped (undefined) where ssh-keygen is not installed.
 */
async function signAndReproduce(dir: string, store: Store, model: string, aliasMove: string): Promise<DemoResult['signing']> {
  const keys = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmeta-demo-keys-'));
  const key = path.join(keys, 'demo_ed25519');
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'demo@mlmeta.invalid', '-f', key], { stdio: 'ignore' });
  } catch {
    fs.rmSync(keys, { recursive: true, force: true });
    return undefined;
  }
  const pub = fs.readFileSync(`${key}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  fs.writeFileSync(path.join(keys, 'allowed_signers'), `demo@mlmeta.invalid namespaces="mlmeta" ${pub}\n`);
  git(dir, 'config', 'user.signingKey', key);
  git(dir, 'config', 'gpg.ssh.allowedSignersFile', path.join(keys, 'allowed_signers'));
  const signature = signRecord(store, model).id;
  signRecord(store, aliasMove);
  const repro = await reproduce(store, model, { stdio: 'ignore' });
  signRecord(store, repro.id); // a reproduction is a claim until someone trusted signs it
  return { keys, signature, reproduction: repro.id, note: `churn-model@3, its production move and its reproduction are signed with a demo key made for this demo in ${keys} (outside the repo; trusted via ${path.join(keys, 'allowed_signers')}, set in the repo's git config), and reproduced: ${repro.verdict}` };
}

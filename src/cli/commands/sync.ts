import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { initStore, openStore } from '../../api/store.js';
import { STORE_DIRNAME } from '../../store/location.js';
import { MlmetaError } from '../../errors.js';
import { note, out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { remote?: string }

export const pushCommand: CommandModule<GlobalArgs, Args> = {
  command: 'push [remote]',
  describe: "Send the store to the remote's refs/mlmeta/store (branches untouched)",
  builder: (y) => y
    .positional('remote', { type: 'string', default: 'origin', describe: 'a git remote name, URL or path' })
    .example('$0 push', 'share lineage through origin')
    .example('$0 push https://git.example.com/team/repo.git', 'auth: MLMETA_TOKEN or git credential helper'),
  handler: async (args) => {
    const res = await storeFrom(args).push(args.remote, { progress: !args.json && process.stderr.isTTY === true, cwd: process.cwd() });
    if (args.json) return outJson(res);
    if (res.received) note(`received ${res.received} record(s) pushed by others first`);
    note(res.upToDate ? `${res.remote}: up to date` : `${res.remote}: sent ${res.sent} record(s) in ${res.commit!.slice(0, 12)}`);
  },
};

export const pullCommand: CommandModule<GlobalArgs, Args> = {
  command: 'pull [remote]',
  describe: "Add the remote's records (refs/mlmeta/store) to this store; creates the store if needed",
  builder: (y) => y
    .positional('remote', { type: 'string', default: 'origin', describe: 'a git remote name, URL or path' })
    .example('$0 pull', "get teammates' lineage from origin"),
  handler: async (args) => {
    let store;
    try {
      store = storeFrom(args);
    } catch (e) {
      if (!(e instanceof MlmetaError && e.code === 'E_NO_STORE')) throw e;
      store = initStore({ store: args.store }).store;
    }
    const res = await store.pull(args.remote, { progress: !args.json && process.stderr.isTTY === true, cwd: process.cwd() });
    if (args.json) return outJson(res);
    note(res.tip ? `${res.remote}: received ${res.received} new record(s) of ${res.remoteObjects}` : `${res.remote}: no lineage pushed there yet`);
  },
};

interface CloneArgs extends GlobalArgs { url: string; dir?: string }

export const cloneCommand: CommandModule<GlobalArgs, CloneArgs> = {
  command: 'clone <url> [dir]',
  describe: 'git clone a repository and pull its lineage in one step',
  builder: (y) => y
    .positional('url', { type: 'string', demandOption: true })
    .positional('dir', { type: 'string' })
    .example('$0 clone https://git.example.com/team/repo.git', 'code and lineage for a new teammate'),
  handler: async (args) => {
    const dir = path.resolve(args.dir ?? path.basename(args.url.replace(/\/+$/, '')).replace(/\.git$/, ''));
    try {
      execFileSync('git', ['clone', '--quiet', args.url, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const msg = String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n').pop();
      throw new MlmetaError('E_REMOTE', `git clone failed: ${msg}`);
    }
    // The new repository's own store, named explicitly: never one found by walking up
    // (a parent project's), never MLMETA_DIR or --store (someone else's).
    const where = { store: path.join(dir, STORE_DIRNAME), cwd: dir, env: {} };
    let store;
    try {
      store = openStore(where);
    } catch (e) {
      if (!(e instanceof MlmetaError && e.code === 'E_NO_STORE')) throw e;
      store = initStore(where).store;
    }
    const res = await store.pull('origin', { progress: !args.json && process.stderr.isTTY === true, cwd: dir });
    if (args.json) return outJson({ dir, ...res });
    note(`cloned into ${dir}; received ${res.received} record(s) from refs/mlmeta/store`);
    out(dir);
  },
};

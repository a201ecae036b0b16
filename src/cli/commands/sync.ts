import type { CommandModule } from 'yargs';
import { cloneRepository } from '../../api/clone.js';
import { initStore } from '../../api/store.js';
import { MlmetaError } from '../../errors.js';
import { note, out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { remote?: string; repair?: boolean }

/** Objects on the remote that are not records were left out: say which. */
function skippedNotes(ids: string[]): void {
  for (const id of ids) note(`warning: the remote's object ${id} is not a valid record; not pulled (run \`mlmeta verify\` where it was made)`);
}

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
    skippedNotes(res.skipped);
    if (res.received) note(`received ${res.received} record(s) pushed by others first`);
    note(res.upToDate ? `${res.remote}: up to date` : `${res.remote}: sent ${res.sent} record(s) in ${res.commit!.slice(0, 12)}`);
  },
};

export const pullCommand: CommandModule<GlobalArgs, Args> = {
  command: 'pull [remote]',
  describe: "Add the remote's records (refs/mlmeta/store) to this store; creates the store if needed",
  builder: (y) => y
    .positional('remote', { type: 'string', default: 'origin', describe: 'a git remote name, URL or path' })
    .option('repair', { type: 'boolean', default: false, describe: 'also fetch again the objects verify reports damaged (reads the whole store)' })
    .example('$0 pull', "get teammates' lineage from origin")
    .example('$0 pull --repair', 'after verify reports HASH_MISMATCH: get those objects back from origin'),
  handler: async (args) => {
    let store;
    try {
      store = storeFrom(args);
    } catch (e) {
      if (!(e instanceof MlmetaError && e.code === 'E_NO_STORE')) throw e;
      store = initStore({ store: args.store }).store;
    }
    const res = await store.pull(args.remote, { progress: !args.json && process.stderr.isTTY === true, cwd: process.cwd(), repair: args.repair === true });
    if (args.json) return outJson(res);
    skippedNotes(res.skipped);
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
    const res = await cloneRepository({ url: args.url, dir: args.dir, progress: !args.json && process.stderr.isTTY === true });
    if (args.json) return outJson(res);
    skippedNotes(res.skipped);
    note(`cloned into ${res.dir}; received ${res.received} record(s) from refs/mlmeta/store`);
    out(res.dir);
  },
};

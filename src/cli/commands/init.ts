import type { CommandModule } from 'yargs';
import { initStore } from '../../api/store.js';
import { note, outJson, type GlobalArgs } from '../context.js';

export const initCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'init',
  describe: 'Create the .mlmeta/ store at the git work-tree root (or here, outside git)',
  builder: (y) => y.example('$0 init', 'make .mlmeta/ in this repository'),
  handler: (args) => {
    const { store, created } = initStore({ store: args.store });
    if (args.json) outJson({ store: store.layout.root, created });
    else note(`${created ? 'Initialized' : 'Already initialized:'} mlmeta store in ${store.layout.root}`);
  },
};

import type { CommandModule } from 'yargs';
import { short } from '../../render/text.js';
import { signerFor } from '../../prove/sign.js';
import { note, out, outJson, storeFrom, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs { alias?: string; ref?: string; history?: boolean; delete?: boolean; message?: string; date?: string; sign?: boolean }

const show = (id: string | null) => (id ? short(id) : '(none)');

export const aliasCommand: CommandModule<GlobalArgs, Args> = {
  command: 'alias [alias] [ref]',
  describe: 'Point an alias (e.g. production) at a record; list aliases; --history shows every move',
  builder: (y) => y
    .positional('alias', { type: 'string', describe: 'alias name; with --history, the thing name' })
    .positional('ref', { type: 'string', describe: 'the record (with --delete: the name)' })
    .option('history', { type: 'boolean', describe: 'every move: who, when, from, to' })
    .option('delete', { type: 'boolean', describe: 'remove the alias (recorded, like every move)' })
    .option('message', { alias: 'm', type: 'string' })
    .option('sign', { type: 'boolean', describe: 'sign the move (audit NAME@ALIAS wants every move signed); default: sign in .mlmeta/config.yaml' })
    .option('date', { type: 'string', describe: 'fix `created`' })
    .example('$0 alias production churn@3', 'churn@production now means version 3')
    .example('$0 alias --history churn', 'the audit trail of churn\'s aliases')
    .example('$0 alias --delete staging churn', 'remove churn@staging'),
  handler: (args) => {
    const store = storeFrom(args);
    if (args.history) {
      const moves = store.aliasHistory(args.alias);
      if (args.json) return outJson(moves);
      return out(moves.map((m) => `${m.created}  ${m.name}@${m.alias}  ${m.from.length ? m.from.map(show).join('+') : '(new)'} -> ${show(m.target)}  by ${m.author ?? 'unknown'}  ${short(m.id)}`).join('\n'));
    }
    if (args.alias === undefined || (args.ref === undefined && !args.delete)) {
      const states = store.aliases(args.alias);
      if (args.json) return outJson(states);
      return out(states.map((s) => `${s.name}@${s.alias} -> ${s.conflicting ? `CONFLICT ${s.conflicting.map(show).join(' | ')} (set it again to settle)` : show(s.target)}  since ${s.since}`).join('\n'));
    }
    const sign = signerFor(store, args.sign);
    const res = store.setAlias({ alias: args.alias, ref: args.delete ? undefined : args.ref, name: args.delete ? args.ref : undefined, remove: args.delete, message: args.message, date: args.date });
    if (sign) note(`signature ${sign(res.id).id}`);
    if (args.json) outJson(res);
    else {
      note(res.target ? `${res.name}@${args.alias} -> ${res.target.slice(0, 12)}` : `${res.name}@${args.alias} removed`);
      out(res.id);
    }
  },
};

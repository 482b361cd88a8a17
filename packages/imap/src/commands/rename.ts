import { failed, refusedNewName, trimDelimiter } from './mailbox-errors.ts';
import type { CommandHandler } from './types.ts';
import { ok, userOf } from './types.ts';

export const rename: CommandHandler<'RENAME'> = {
  name: 'RENAME',
  states: ['authenticated', 'selected'],
  async handle(ctx, cmd) {
    const refused = refusedNewName(cmd.args.to);
    if (refused) return refused;
    try {
      await ctx.store.renameFolder(userOf(ctx), cmd.args.from, trimDelimiter(cmd.args.to));
    } catch (err) {
      return failed(err);
    }
    return ok('RENAME completed');
  },
};

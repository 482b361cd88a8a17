import { failed, trimDelimiter } from './mailbox-errors.ts';
import type { CommandHandler } from './types.ts';
import { ok, userOf } from './types.ts';

export const rename: CommandHandler<'RENAME'> = {
  name: 'RENAME',
  states: ['authenticated', 'selected'],
  async handle(ctx, cmd) {
    try {
      await ctx.store.renameFolder(userOf(ctx), cmd.args.from, trimDelimiter(cmd.args.to));
    } catch (err) {
      return failed(err);
    }
    return ok('RENAME completed');
  },
};

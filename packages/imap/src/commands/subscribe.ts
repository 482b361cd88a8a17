import { isNotFound } from '../session/store-errors.ts';
import { failed } from './mailbox-errors.ts';
import type { CommandHandler } from './types.ts';
import { ok, userOf } from './types.ts';

export const subscribe: CommandHandler<'SUBSCRIBE'> = {
  name: 'SUBSCRIBE',
  states: ['authenticated', 'selected'],
  async handle(ctx, cmd) {
    try {
      await ctx.store.setSubscribed(userOf(ctx), cmd.args.mailbox, true);
    } catch (err) {
      return failed(err);
    }
    return ok('SUBSCRIBE completed');
  },
};

export const unsubscribe: CommandHandler<'UNSUBSCRIBE'> = {
  name: 'UNSUBSCRIBE',
  states: ['authenticated', 'selected'],
  async handle(ctx, cmd) {
    try {
      await ctx.store.setSubscribed(userOf(ctx), cmd.args.mailbox, false);
    } catch (err) {
      // Unsubscribing a name that is gone is what the client wants anyway.
      if (!isNotFound(err)) return failed(err);
    }
    return ok('UNSUBSCRIBE completed');
  },
};

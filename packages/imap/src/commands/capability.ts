import type { CommandHandler } from './types.ts';
import { ANY_STATE, ok } from './types.ts';

export const capability: CommandHandler<'CAPABILITY'> = {
  name: 'CAPABILITY',
  states: ANY_STATE,
  async handle(ctx) {
    await ctx.send({ type: 'capability', capabilities: ctx.capabilities() });
    return ok('CAPABILITY completed');
  },
};

import type { CommandHandler } from './types.ts';
import { ANY_STATE } from './types.ts';

export const logout: CommandHandler<'LOGOUT'> = {
  name: 'LOGOUT',
  states: ANY_STATE,
  async handle(ctx) {
    await ctx.send({ type: 'untagged', status: 'BYE', text: `${ctx.hostname} logging out` });
    return { status: 'OK', text: 'LOGOUT completed', after: async () => ctx.end() };
  },
};

import type { CommandHandler } from './types.ts';
import { ok, userOf } from './types.ts';

export const unselect: CommandHandler<'UNSELECT'> = {
  name: 'UNSELECT',
  states: ['selected'],
  async handle(ctx) {
    await ctx.setState({ name: 'authenticated', user: userOf(ctx) });
    return ok('UNSELECT completed');
  },
};

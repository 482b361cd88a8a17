import type { CommandHandler } from './types.ts';
import { ANY_STATE, ok } from './types.ts';

export const id: CommandHandler<'ID'> = {
  name: 'ID',
  states: ANY_STATE,
  async handle(ctx) {
    await ctx.send({ type: 'id', params: [['name', 'Mailstack']] });
    return ok('ID completed');
  },
};

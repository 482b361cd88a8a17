import type { CommandHandler } from './types.ts';
import { AUTHENTICATED_STATES, ok } from './types.ts';

export const namespace: CommandHandler<'NAMESPACE'> = {
  name: 'NAMESPACE',
  states: AUTHENTICATED_STATES,
  async handle(ctx) {
    await ctx.send({
      type: 'namespace',
      personal: [{ prefix: '', delimiter: '/' }],
      other: null,
      shared: null,
    });
    return ok('NAMESPACE completed');
  },
};

import type { CommandHandler } from './types.ts';
import { AUTHENTICATED_STATES, ok } from './types.ts';

export const enable: CommandHandler<'ENABLE'> = {
  name: 'ENABLE',
  states: AUTHENTICATED_STATES,
  async handle(ctx, cmd) {
    const enabled = cmd.args.capabilities.filter((c) => ctx.enable(c));
    await ctx.send({ type: 'enabled', capabilities: enabled });
    return ok('ENABLE completed');
  },
};

import type { CommandHandler } from './types.ts';
import { AUTHENTICATED_STATES } from './types.ts';

export const idle: CommandHandler<'IDLE'> = {
  name: 'IDLE',
  states: AUTHENTICATED_STATES,
  handle(ctx) {
    return ctx.idle();
  },
};

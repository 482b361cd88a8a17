import type { CommandHandler } from './types.ts';
import { ANY_STATE, ok } from './types.ts';

/** NOOP and CHECK: the dispatcher's sync after every command sends the updates. */
export const noop: CommandHandler<'NOOP'> = {
  name: 'NOOP',
  states: ANY_STATE,
  async handle() {
    return ok('NOOP completed');
  },
};

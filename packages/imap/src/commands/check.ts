import type { CommandHandler } from './types.ts';
import { ok } from './types.ts';

export const check: CommandHandler<'CHECK'> = {
  name: 'CHECK',
  states: ['selected'],
  async handle() {
    return ok('CHECK completed');
  },
};

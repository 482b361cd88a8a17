import type { Pop3Command } from './types.ts';

export const quit: Pop3Command = {
  verb: 'QUIT',
  states: ['authorization', 'transaction'],
  minArgs: 0,
  maxArgs: 0,
  handle: (ctx) => ctx.quit(),
};

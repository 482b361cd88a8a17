import type { Pop3Command } from './types.ts';

export const noop: Pop3Command = {
  verb: 'NOOP',
  states: ['transaction'],
  minArgs: 0,
  maxArgs: 0,
  handle: (ctx) => ctx.ok(),
};

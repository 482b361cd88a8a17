import type { Pop3Command } from './types.ts';

export const stat: Pop3Command = {
  verb: 'STAT',
  states: ['transaction'],
  minArgs: 0,
  maxArgs: 0,
  async handle(ctx) {
    if (ctx.state.name !== 'transaction') return;
    const { count, octets } = ctx.state.maildrop.stat();
    await ctx.ok(`${count} ${octets}`);
  },
};

import type { Pop3Command } from './types.ts';

export const rset: Pop3Command = {
  verb: 'RSET',
  states: ['transaction'],
  minArgs: 0,
  maxArgs: 0,
  async handle(ctx) {
    if (ctx.state.name !== 'transaction') return;
    ctx.state.maildrop.reset();
    const { count, octets } = ctx.state.maildrop.stat();
    await ctx.ok(`maildrop has ${count} messages (${octets} octets)`);
  },
};

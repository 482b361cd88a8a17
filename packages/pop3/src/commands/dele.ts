import { messageArg } from './message-arg.ts';
import type { Pop3Command } from './types.ts';

export const dele: Pop3Command = {
  verb: 'DELE',
  states: ['transaction'],
  minArgs: 1,
  maxArgs: 1,
  async handle(ctx, [arg]) {
    if (ctx.state.name !== 'transaction') return;
    const m = await messageArg(ctx, arg as string);
    if (!m) return;
    ctx.state.maildrop.markDeleted(m.number);
    await ctx.ok(`message ${m.number} deleted`);
  },
};

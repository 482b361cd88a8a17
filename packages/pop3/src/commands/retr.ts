import { messageArg } from './message-arg.ts';
import type { Pop3Command } from './types.ts';

export const retr: Pop3Command = {
  verb: 'RETR',
  states: ['transaction'],
  minArgs: 1,
  maxArgs: 1,
  async handle(ctx, [arg]) {
    const m = await messageArg(ctx, arg as string);
    if (!m || ctx.state.name !== 'transaction') return;
    ctx.state.maildrop.markRetrieved(m.number);
    await ctx.sendMessage(m);
  },
};

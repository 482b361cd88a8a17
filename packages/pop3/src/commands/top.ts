import { messageArg } from './message-arg.ts';
import type { Pop3Command } from './types.ts';

export const top: Pop3Command = {
  verb: 'TOP',
  states: ['transaction'],
  minArgs: 2,
  maxArgs: 2,
  async handle(ctx, [arg, lines]) {
    if (!/^\d{1,10}$/.test(lines as string)) return ctx.err('invalid line count');
    const m = await messageArg(ctx, arg as string);
    if (m) await ctx.sendMessage(m, Number(lines));
  },
};

import { messageArg } from './message-arg.ts';
import type { Pop3Command } from './types.ts';

export const uidl: Pop3Command = {
  verb: 'UIDL',
  states: ['transaction'],
  minArgs: 0,
  maxArgs: 1,
  async handle(ctx, [arg]) {
    if (ctx.state.name !== 'transaction') return;
    if (arg !== undefined) {
      const m = await messageArg(ctx, arg);
      if (m) await ctx.ok(`${m.number} ${m.uidl}`);
      return;
    }
    await ctx.multiline(
      'unique-id listing follows',
      ctx.state.maildrop.live().map((m) => `${m.number} ${m.uidl}`),
    );
  },
};

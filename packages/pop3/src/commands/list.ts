import { messageArg } from './message-arg.ts';
import type { Pop3Command } from './types.ts';

export const list: Pop3Command = {
  verb: 'LIST',
  states: ['transaction'],
  minArgs: 0,
  maxArgs: 1,
  async handle(ctx, [arg]) {
    if (ctx.state.name !== 'transaction') return;
    const drop = ctx.state.maildrop;
    if (arg !== undefined) {
      const m = await messageArg(ctx, arg);
      if (m) await ctx.ok(`${m.number} ${m.size}`);
      return;
    }
    const { count, octets } = drop.stat();
    await ctx.multiline(
      `${count} messages (${octets} octets)`,
      drop.live().map((m) => `${m.number} ${m.size}`),
    );
  },
};

import type { Pop3Command } from './types.ts';
import { CLEARTEXT_REFUSED } from './user.ts';

export const pass: Pop3Command = {
  verb: 'PASS',
  states: ['authorization'],
  minArgs: 1,
  maxArgs: 1,
  restOfLine: true,
  async handle(ctx, [password]) {
    if (!ctx.cleartextAuthAllowed) return ctx.err(CLEARTEXT_REFUSED);
    const state = ctx.state;
    if (state.name !== 'authorization' || state.pendingUser === undefined) return ctx.err('USER first');
    ctx.setState({ name: 'authorization' });
    await ctx.login(state.pendingUser, password as string);
  },
};

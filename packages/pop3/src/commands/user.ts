import type { Pop3Command } from './types.ts';

export const CLEARTEXT_REFUSED =
  '[AUTH] Plaintext authentication disallowed on non-secure connections; use STLS';

export const user: Pop3Command = {
  verb: 'USER',
  states: ['authorization'],
  minArgs: 1,
  maxArgs: 1,
  async handle(ctx, [name]) {
    if (!ctx.cleartextAuthAllowed) return ctx.err(CLEARTEXT_REFUSED);
    ctx.setState({ name: 'authorization', pendingUser: name as string });
    await ctx.ok('send PASS');
  },
};

import type { Pop3Command } from './types.ts';

export const stls: Pop3Command = {
  verb: 'STLS',
  states: ['authorization'],
  minArgs: 0,
  maxArgs: 0,
  async handle(ctx) {
    if (ctx.tlsActive) return ctx.err('TLS already active');
    if (!ctx.tlsOffered) return ctx.err('TLS not available');
    await ctx.startTls();
  },
};

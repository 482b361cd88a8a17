import type { CommandHandler } from './types.ts';
import { bad } from './types.ts';

export const starttls: CommandHandler<'STARTTLS'> = {
  name: 'STARTTLS',
  states: ['not-authenticated'],
  async handle(ctx) {
    if (ctx.tlsActive) return bad('TLS already active');
    if (!ctx.tlsOffered) return bad('STARTTLS not available');
    return { status: 'OK', text: 'begin TLS negotiation now', after: () => ctx.startTls() };
  },
};

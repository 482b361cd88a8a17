import type { CommandHandler, Completion } from './types.ts';

/** LOGIN and AUTHENTICATE without TLS (and without the loopback switch). */
export const CLEARTEXT_REFUSED: Completion = {
  status: 'NO',
  code: { code: 'PRIVACYREQUIRED' },
  text: 'use STARTTLS before logging in',
};

export const loginCommand: CommandHandler<'LOGIN'> = {
  name: 'LOGIN',
  states: ['not-authenticated'],
  async handle(ctx, cmd) {
    if (!ctx.cleartextAuthAllowed) return CLEARTEXT_REFUSED;
    return ctx.login(cmd.args.user, cmd.args.password);
  },
};

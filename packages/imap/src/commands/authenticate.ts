import { parseSaslPlain } from '@mailstack/directory';
import { CLEARTEXT_REFUSED } from './login.ts';
import type { CommandHandler } from './types.ts';
import { bad, no } from './types.ts';

export const authenticate: CommandHandler<'AUTHENTICATE'> = {
  name: 'AUTHENTICATE',
  states: ['not-authenticated'],
  async handle(ctx, cmd) {
    if (cmd.args.mechanism.toUpperCase() !== 'PLAIN') return no('unsupported mechanism', { code: 'CANNOT' });
    if (!ctx.cleartextAuthAllowed) return CLEARTEXT_REFUSED;
    let response = cmd.args.initialResponse;
    if (response === undefined) {
      const line = await ctx.readLine('');
      if (line === null) return bad('no response');
      response = line.trim();
    }
    if (response === '*') return bad('authentication cancelled');
    // RFC 4959: "=" is an empty initial response.
    const creds = response === '=' ? null : parseSaslPlain(response);
    if (!creds) return bad('malformed PLAIN response');
    // RFC 5530: well-formed, but this login may not act as that identity.
    if (!creds.authorized) return no('not authorized to act as that user', { code: 'AUTHORIZATIONFAILED' });
    return ctx.login(creds.user, creds.password);
  },
};

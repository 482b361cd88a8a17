import { CLEARTEXT_REFUSED } from './login.ts';
import type { CommandHandler } from './types.ts';
import { bad, no } from './types.ts';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** RFC 4616 message: [authzid] NUL authcid NUL passwd; null when malformed. */
function parsePlain(encoded: string): { user: string; password: string } | null {
  if (!BASE64.test(encoded)) return null;
  const parts = Buffer.from(encoded, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return null;
  const [authz, user, password] = parts as [string, string, string];
  // One account may not act as another: an authzid must name the same user.
  if (!user || !password || (authz !== '' && authz.toLowerCase() !== user.toLowerCase())) return null;
  return { user, password };
}

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
    const creds = response === '=' ? null : parsePlain(response);
    if (!creds) return bad('malformed PLAIN response');
    return ctx.login(creds.user, creds.password);
  },
};

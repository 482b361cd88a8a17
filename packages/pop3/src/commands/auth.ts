import type { CommandContext, Pop3Command } from './types.ts';
import { CLEARTEXT_REFUSED } from './user.ts';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** RFC 4616 message: [authzid] NUL authcid NUL passwd; null when malformed. */
function parsePlain(encoded: string): { user: string; password: string } | null {
  if (!BASE64.test(encoded)) return null;
  const parts = Buffer.from(encoded, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return null;
  const [authz, user, password] = parts as [string, string, string];
  // We do not let one account act as another: an authzid must name the same user.
  if (!user || !password || (authz !== '' && authz.toLowerCase() !== user.toLowerCase())) return null;
  return { user, password };
}

async function plain(ctx: CommandContext, initial: string | undefined): Promise<void> {
  let response = initial;
  if (response === undefined) {
    const next = await ctx.continuation('');
    if (!next) return;
    if (next.kind === 'overflow') return ctx.err('[AUTH] response too long');
    response = next.text.trim();
  }
  if (response === '*') return ctx.err('authentication cancelled');
  // RFC 5034: "=" is an empty initial response.
  const creds = response === '=' ? null : parsePlain(response);
  if (!creds) return ctx.err('[AUTH] malformed PLAIN response');
  await ctx.login(creds.user, creds.password);
}

export const auth: Pop3Command = {
  verb: 'AUTH',
  states: ['authorization'],
  minArgs: 0,
  maxArgs: 2,
  async handle(ctx, [mechanism, initial]) {
    if (!ctx.cleartextAuthAllowed) return ctx.err(CLEARTEXT_REFUSED);
    // Without a mechanism: the list, as RFC 1734-era clients ask for it.
    if (mechanism === undefined) return ctx.multiline('SASL mechanisms follow', ['PLAIN']);
    if (mechanism.toUpperCase() !== 'PLAIN') return ctx.err('unsupported authentication mechanism');
    await plain(ctx, initial);
  },
};

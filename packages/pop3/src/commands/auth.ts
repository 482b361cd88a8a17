import { parseSaslPlain } from '@mailstack/directory';
import type { CommandContext, Pop3Command } from './types.ts';
import { CLEARTEXT_REFUSED } from './user.ts';

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
  const creds = response === '=' ? null : parseSaslPlain(response);
  if (!creds) return ctx.err('[AUTH] malformed PLAIN response');
  if (!creds.authorized) return ctx.err('[AUTH] not authorized to act as that user');
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

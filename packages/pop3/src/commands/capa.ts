import type { CommandContext, Pop3Command } from './types.ts';

/** RFC 2449 capabilities as this session can use them right now. */
export function capabilities(ctx: CommandContext): string[] {
  const caps = ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
  // RFC 2595: before TLS, cleartext logins are neither offered nor accepted.
  if (ctx.state.name === 'authorization' && ctx.cleartextAuthAllowed) caps.push('USER', 'SASL PLAIN');
  if (ctx.state.name === 'authorization' && ctx.tlsOffered) caps.push('STLS');
  caps.push(`IMPLEMENTATION ${ctx.implementation}`);
  return caps;
}

export const capa: Pop3Command = {
  verb: 'CAPA',
  states: ['authorization', 'transaction'],
  minArgs: 0,
  maxArgs: 0,
  handle: (ctx) => ctx.multiline('Capability list follows', capabilities(ctx)),
};

import type { DropMessage } from '../maildrop.ts';
import type { CommandContext } from './types.ts';

/** A message-number argument: digits naming a message that exists and is not deleted. */
export async function messageArg(ctx: CommandContext, arg: string): Promise<DropMessage | null> {
  if (ctx.state.name !== 'transaction') return null;
  if (!/^\d{1,10}$/.test(arg)) {
    await ctx.err('invalid message number');
    return null;
  }
  const n = Number(arg);
  const drop = ctx.state.maildrop;
  if (drop.isDeleted(n)) {
    await ctx.err(`message ${n} already deleted`);
    return null;
  }
  const m = drop.get(n);
  if (!m) await ctx.err('no such message');
  return m;
}

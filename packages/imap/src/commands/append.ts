import { bufferBlob } from '@mailstack/core';
import type { CommandOf } from '../parser/types.ts';
import type { AppendBody } from '../session/append-body.ts';
import { storeErrorCode } from '../session/store-errors.ts';
import { openTarget } from './copy.ts';
import type { CommandHandler, Completion, SessionContext } from './types.ts';
import { no, ok, userOf } from './types.ts';

export const append: CommandHandler<'APPEND'> = {
  name: 'APPEND',
  states: ['authenticated', 'selected'],
  async handle(ctx, cmd) {
    const message = cmd.args.message;
    const body = Buffer.isBuffer(message) ? null : ctx.appendBody(message);
    try {
      return await settle(ctx, body, await store(ctx, cmd, body));
    } finally {
      // Even if the store call threw: the literal is refused or read to its end before the
      // tagged answer, so the next bytes are parsed as commands again.
      await body?.finish();
    }
  },
};

async function store(
  ctx: SessionContext,
  cmd: CommandOf<'APPEND'>,
  body: AppendBody | null,
): Promise<Completion> {
  const s = ctx.state;
  // A streamed message is still on the wire: the target is checked before `+` is sent, so a
  // missing mailbox costs the client no upload (RFC 3501 6.3.11 TRYCREATE).
  const target = await openTarget(ctx, userOf(ctx), cmd.args.mailbox, s.name === 'selected' ? s.view : null);
  if ('status' in target) return target;
  try {
    const flags = cmd.args.flags.filter((f) => f.toLowerCase() !== '\\recent');
    const blob = body ? await body.blob() : bufferBlob(cmd.args.message as Buffer);
    // Unclaimed even with flags: \Recent for exactly one session, whichever claims it first.
    const { uid } = await target.folder.append(blob, {
      flags,
      recent: true,
      ...(cmd.args.date ? { internalDate: cmd.args.date } : {}),
    });
    // Appended to our own selected mailbox: claim at once (RFC 3501 6.3.11), through the store
    // like any session, so a session with the same mailbox selected cannot claim it as well.
    if (target.own && s.name === 'selected' && !s.view.readOnly)
      for (const claimed of await s.view.folder.claimRecent()) s.view.recent.add(claimed);
    return ok('APPEND completed', { code: 'APPENDUID', uidValidity: target.folder.uidValidity, uids: [uid] });
  } catch (err) {
    const e = storeErrorCode(err);
    return no(e.text, e.code);
  } finally {
    if (!target.own) await target.folder.close().catch(() => {});
  }
}

/**
 * Reads the streamed literal to its end (refusing it if `+` was never sent) before the tagged
 * answer goes out; a command that went on after the message is BAD whatever the store did
 * (it stored nothing: the body stream failed before the store published it).
 */
async function settle(ctx: SessionContext, body: AppendBody | null, done: Completion): Promise<Completion> {
  if (!body) return done;
  const outcome = await body.finish();
  if (outcome.kind !== 'bad') return done;
  if (!outcome.fatal) return { status: 'BAD', text: outcome.text };
  return {
    status: 'BAD',
    text: outcome.text,
    after: async () => {
      await ctx.send({ type: 'untagged', status: 'BYE', text: 'protocol error; closing' });
      ctx.end();
    },
  };
}

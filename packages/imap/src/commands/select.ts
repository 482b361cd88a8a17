import { MailboxView } from '../session/mailbox-view.ts';
import { storeErrorCode } from '../session/store-errors.ts';
import type { CommandHandler, Completion, SessionContext } from './types.ts';
import { no, ok, userOf } from './types.ts';

async function open(ctx: SessionContext, name: string, readOnly: boolean): Promise<Completion> {
  const user = userOf(ctx);
  // RFC 3501 6.3.1: a SELECT deselects the current mailbox first, even when it fails.
  if (ctx.state.name === 'selected') await ctx.setState({ name: 'authenticated', user });
  let view: MailboxView;
  try {
    const folder = await ctx.store.openFolder(user, name);
    const recent = readOnly ? [] : await folder.claimRecent();
    view = new MailboxView(folder, readOnly);
    for (const uid of recent) view.recent.add(uid);
  } catch (err) {
    const e = storeErrorCode(err);
    return no(e.text, e.code);
  }
  const flags = view.announceFlags();
  await ctx.sendAll([
    { type: 'flags', flags },
    { type: 'exists', count: view.exists },
    // EXAMINE claims nothing but still reports how many are \Recent (RFC 3501 6.3.2: the
    // same untagged data as SELECT): the unclaimed ones, which a later SELECT then claims.
    { type: 'recent', count: readOnly ? (view.folder.unclaimedRecent?.() ?? 0) : view.recent.size },
  ]);
  const firstUnseen = view.uids.findIndex((uid) => !view.meta(uid)?.flags.includes('\\Seen'));
  if (firstUnseen >= 0) {
    await ctx.send({
      type: 'untagged',
      status: 'OK',
      code: { code: 'UNSEEN', value: firstUnseen + 1 },
      text: 'first unseen',
    });
  }
  await ctx.sendAll([
    {
      type: 'untagged',
      status: 'OK',
      code: { code: 'PERMANENTFLAGS', flags: readOnly ? [] : [...flags, '\\*'] },
      text: readOnly ? 'no permanent flags' : 'flags permitted',
    },
    {
      type: 'untagged',
      status: 'OK',
      code: { code: 'UIDVALIDITY', value: view.folder.uidValidity },
      text: 'UIDs valid',
    },
    {
      type: 'untagged',
      status: 'OK',
      code: { code: 'UIDNEXT', value: view.folder.uidNext },
      text: 'predicted next UID',
    },
  ]);
  await ctx.setState({ name: 'selected', user, view });
  return ok(
    `${readOnly ? 'EXAMINE' : 'SELECT'} completed`,
    readOnly ? { code: 'READ-ONLY' } : { code: 'READ-WRITE' },
  );
}

export const select: CommandHandler<'SELECT'> = {
  name: 'SELECT',
  states: ['authenticated', 'selected'],
  handle: (ctx, cmd) => open(ctx, cmd.args.mailbox, false),
};

export const examine: CommandHandler<'EXAMINE'> = {
  name: 'EXAMINE',
  states: ['authenticated', 'selected'],
  handle: (ctx, cmd) => open(ctx, cmd.args.mailbox, true),
};

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
    // EXAMINE claims nothing: it reports how many are \Recent and leaves them to a SELECT.
    const recent = readOnly ? [] : await folder.claimRecent();
    view = new MailboxView(folder, readOnly);
    for (const uid of recent) view.recent.add(uid);
  } catch (err) {
    const e = storeErrorCode(err);
    return no(e.text, e.code);
  }
  const [flags, permanent] = view.flagsResponses(view.announceFlags());
  await ctx.sendAll([
    flags!,
    { type: 'exists', count: view.exists },
    { type: 'recent', count: view.recentCount() },
  ]);
  const firstUnseen = view.folder.messages().findIndex((m) => !m.flags.includes('\\Seen'));
  if (firstUnseen >= 0) {
    await ctx.send({
      type: 'untagged',
      status: 'OK',
      code: { code: 'UNSEEN', value: firstUnseen + 1 },
      text: 'first unseen',
    });
  }
  await ctx.sendAll([
    permanent!,
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

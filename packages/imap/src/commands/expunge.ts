import { resolveTargets } from './targets.ts';
import type { CommandHandler } from './types.ts';
import { no, ok, selected } from './types.ts';

export const expunge: CommandHandler<'EXPUNGE'> = {
  name: 'EXPUNGE',
  states: ['selected'],
  async handle(ctx, cmd) {
    const { view } = selected(ctx);
    if (view.readOnly) return no('mailbox is read-only', { code: 'READ-ONLY' });
    let removed: number[];
    if (cmd.args.uids) {
      // UID EXPUNGE (RFC 4315): only the named messages, and only those marked \Deleted.
      const uids = resolveTargets(view, cmd.args.uids, true)
        .map((t) => t.uid)
        .filter((uid) => view.alive(uid) && view.meta(uid)?.flags.includes('\\Deleted'));
      removed = uids.length > 0 ? await view.folder.expunge(uids) : [];
    } else {
      removed = await view.folder.expunge();
    }
    await ctx.sendAll(view.expungeOwn(removed));
    return ok(`${cmd.uid ? 'UID EXPUNGE' : 'EXPUNGE'} completed`);
  },
};

import { failed } from './mailbox-errors.ts';
import type { CommandHandler } from './types.ts';
import { ok, userOf } from './types.ts';

export const status: CommandHandler<'STATUS'> = {
  name: 'STATUS',
  states: ['authenticated', 'selected'],
  async handle(ctx, cmd) {
    const user = userOf(ctx);
    const s = ctx.state;
    const current = s.name === 'selected' && s.view.folder.name === cmd.args.mailbox ? s.view : null;
    let folder: Awaited<ReturnType<typeof ctx.store.openFolder>>;
    try {
      folder = current ? current.folder : await ctx.store.openFolder(user, cmd.args.mailbox);
    } catch (err) {
      return failed(err);
    }
    try {
      const messages = folder.messages();
      const items: Array<[string, number]> = [];
      for (const item of cmd.args.items) {
        if (item === 'MESSAGES') items.push([item, messages.length]);
        // Dovecot's count: messages no session has claimed yet (plus, for our own selected
        // mailbox, the ones this session holds as \Recent).
        else if (item === 'RECENT')
          items.push([
            item,
            (current && !current.readOnly ? current.recent.size : 0) + (folder.unclaimedRecent?.() ?? 0),
          ]);
        else if (item === 'UIDNEXT') items.push([item, folder.uidNext]);
        else if (item === 'UIDVALIDITY') items.push([item, folder.uidValidity]);
        else if (item === 'UNSEEN')
          items.push([item, messages.filter((m) => !m.flags.includes('\\Seen')).length]);
        else if (item === 'SIZE') items.push([item, messages.reduce((n, m) => n + m.size, 0)]);
        else if (item === 'DELETED')
          items.push([item, messages.filter((m) => m.flags.includes('\\Deleted')).length]);
        else if (item === 'APPENDLIMIT') items.push([item, ctx.maxAppendSize]);
      }
      await ctx.send({ type: 'status', mailbox: cmd.args.mailbox, items });
    } finally {
      if (!current) await folder.close().catch(() => {});
    }
    return ok('STATUS completed');
  },
};

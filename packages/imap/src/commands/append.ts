import { bufferBlob } from '@mailstack/core';
import { storeErrorCode } from '../session/store-errors.ts';
import { openTarget } from './copy.ts';
import type { CommandHandler } from './types.ts';
import { no, ok, userOf } from './types.ts';

export const append: CommandHandler<'APPEND'> = {
  name: 'APPEND',
  states: ['authenticated', 'selected'],
  async handle(ctx, cmd) {
    const s = ctx.state;
    const target = await openTarget(
      ctx,
      userOf(ctx),
      cmd.args.mailbox,
      s.name === 'selected' ? s.view : null,
    );
    if ('status' in target) return target;
    try {
      const flags = cmd.args.flags.filter((f) => f.toLowerCase() !== '\\recent');
      const { uid } = await target.folder.append(bufferBlob(cmd.args.message), {
        flags,
        ...(cmd.args.date ? { internalDate: cmd.args.date } : {}),
      });
      // RFC 3501 6.3.11: appended to the selected mailbox, it is \Recent for this session.
      if (target.own && s.name === 'selected' && !s.view.readOnly) s.view.recent.add(uid);
      return ok('APPEND completed', {
        code: 'APPENDUID',
        uidValidity: target.folder.uidValidity,
        uids: [uid],
      });
    } catch (err) {
      const e = storeErrorCode(err);
      return no(e.text, e.code);
    } finally {
      if (!target.own) await target.folder.close().catch(() => {});
    }
  },
};

import type { Folder } from '@mailstack/core';
import type { MailboxView } from '../session/mailbox-view.ts';
import { isNotFound, storeErrorCode } from '../session/store-errors.ts';
import { invalidSequence, resolveTargets } from './targets.ts';
import type { CommandHandler, Completion, SessionContext } from './types.ts';
import { bad, no, ok, selected } from './types.ts';

/** Opens the destination of COPY/MOVE/APPEND; a missing one answers NO [TRYCREATE]. */
export async function openTarget(
  ctx: SessionContext,
  user: string,
  name: string,
  view: MailboxView | null,
): Promise<{ folder: Folder; own: boolean } | Completion> {
  if (view && view.folder.name === name) return { folder: view.folder, own: true };
  try {
    return { folder: await ctx.store.openFolder(user, name), own: false };
  } catch (err) {
    if (isNotFound(err)) return no('no such mailbox', { code: 'TRYCREATE' });
    const e = storeErrorCode(err);
    return no(e.text, e.code);
  }
}

export async function transfer(
  ctx: SessionContext,
  cmd: { uid: boolean; args: { set: Parameters<typeof resolveTargets>[1]; mailbox: string } },
  kind: 'COPY' | 'MOVE',
): Promise<Completion> {
  const s = selected(ctx);
  const { view } = s;
  if (kind === 'MOVE' && view.readOnly) return no('mailbox is read-only', { code: 'READ-ONLY' });
  if (invalidSequence(view, cmd.args.set, cmd.uid)) return bad('invalid message sequence number');
  const uids = resolveTargets(view, cmd.args.set, cmd.uid)
    .map((t) => t.uid)
    .filter((uid) => view.alive(uid));
  const target = await openTarget(ctx, s.user, cmd.args.mailbox, view);
  if ('status' in target) return target;
  const verb = `${cmd.uid ? 'UID ' : ''}${kind}`;
  try {
    if (uids.length === 0) return ok(`${verb} completed`);
    const pairs =
      kind === 'COPY'
        ? await view.folder.copy(uids, target.folder)
        : await view.folder.move(uids, target.folder);
    const code = {
      code: 'COPYUID' as const,
      uidValidity: target.folder.uidValidity,
      source: pairs.map((p) => p[0]),
      target: pairs.map((p) => p[1]),
    };
    // RFC 3501 6.4.7: a copy into the selected mailbox is \Recent for this session (claimed
    // through the store, so no other session claims it too); into another mailbox it is
    // \Recent for the next session that selects it (the store leaves copies unclaimed).
    if (target.own && !view.readOnly) {
      for (const uid of await view.folder.claimRecent()) view.recent.add(uid);
      for (const uid of code.target) view.recent.add(uid);
    }
    if (kind === 'COPY') return ok(`${verb} completed`, code);
    // RFC 6851 3.3: COPYUID goes in an untagged OK before the EXPUNGEs.
    await ctx.send({ type: 'untagged', status: 'OK', code, text: 'moved' });
    await ctx.sendAll(view.expungeOwn(code.source));
    return ok(`${verb} completed`);
  } catch (err) {
    const e = storeErrorCode(err);
    return no(e.text, e.code);
  } finally {
    if (!target.own) await target.folder.close().catch(() => {});
  }
}

export const copy: CommandHandler<'COPY'> = {
  name: 'COPY',
  states: ['selected'],
  handle: (ctx, cmd) => transfer(ctx, cmd, 'COPY'),
};

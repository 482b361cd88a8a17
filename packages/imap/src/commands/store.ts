import { invalidSequence, resolveTargets } from './targets.ts';
import type { CommandHandler } from './types.ts';
import { bad, no, ok, selected } from './types.ts';

export const store: CommandHandler<'STORE'> = {
  name: 'STORE',
  states: ['selected'],
  noExpungeAfter: (cmd) => !cmd.uid,
  async handle(ctx, cmd) {
    const { view } = selected(ctx);
    if (view.readOnly) return no('mailbox is read-only', { code: 'READ-ONLY' });
    if (invalidSequence(view, cmd.args.set, cmd.uid)) return bad('invalid message sequence number');
    const targets = resolveTargets(view, cmd.args.set, cmd.uid).filter((t) => view.alive(t.uid));
    if (targets.length > 0) {
      const { op, flags } = cmd.args;
      const changed = await view.folder.setFlags(
        targets.map((t) => t.uid),
        op,
        flags,
      );
      view.noteFlags(changed);
      await ctx.sendAll(view.flagsUpdate(changed));
    }
    // .SILENT: no FETCH back; noteFlags keeps the next sync from repeating them either.
    if (!cmd.args.silent) {
      for (const { seq, uid } of targets) {
        await ctx.send({
          type: 'fetch',
          seq,
          items: cmd.uid
            ? [
                { name: 'UID', value: uid },
                { name: 'FLAGS', flags: view.flagsOf(uid) },
              ]
            : [{ name: 'FLAGS', flags: view.flagsOf(uid) }],
        });
      }
    }
    return ok(`${cmd.uid ? 'UID STORE' : 'STORE'} completed`);
  },
};

import { failed } from './mailbox-errors.ts';
import type { CommandHandler } from './types.ts';
import { no, ok, userOf } from './types.ts';

export const deleteCommand: CommandHandler<'DELETE'> = {
  name: 'DELETE',
  states: ['authenticated', 'selected'],
  async handle(ctx, cmd) {
    const name = cmd.args.mailbox;
    if (name === 'INBOX') return no('INBOX cannot be deleted', { code: 'CANNOT' });
    const s = ctx.state;
    if (s.name === 'selected' && s.view.folder.name === name) {
      await ctx.setState({ name: 'authenticated', user: s.user });
    }
    try {
      await ctx.store.deleteFolder(userOf(ctx), name);
    } catch (err) {
      return failed(err);
    }
    return ok('DELETE completed');
  },
};

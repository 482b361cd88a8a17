import type { CommandHandler } from './types.ts';
import { ok } from './types.ts';

export const close: CommandHandler<'CLOSE'> = {
  name: 'CLOSE',
  states: ['selected'],
  async handle(ctx) {
    const s = ctx.state;
    if (s.name !== 'selected') return ok('CLOSE completed');
    // RFC 3501 6.4.2: \Deleted messages go silently, and not at all when read-only.
    if (!s.view.readOnly) {
      try {
        await s.view.folder.expunge();
      } catch (err) {
        ctx.log.warn({ event: 'close-expunge-failed', err: String(err) });
      }
    }
    await ctx.setState({ name: 'authenticated', user: s.user });
    return ok('CLOSE completed');
  },
};

import type { Command, CommandName, CommandOf } from '../parser/types.ts';
import { isRefusal, storeErrorCode } from '../session/store-errors.ts';
import { ResponseStreamError } from '../writer/response-writer.ts';
import { HANDLERS } from './index.ts';
import type { CommandHandler, Completion, SessionContext } from './types.ts';

/**
 * Runs one command: checks the verb is valid in the current state, runs its handler, sends
 * the updates of the selected mailbox (never EXPUNGE after FETCH/STORE/SEARCH), then the
 * tagged completion, then the handler's `after` step.
 */
export async function dispatch(ctx: SessionContext, command: Command): Promise<void> {
  const handler = HANDLERS.get(command.name) as CommandHandler<CommandName> | undefined;
  let done: Completion;
  if (!handler) done = { status: 'BAD', text: `${command.name} not supported` };
  else if (!handler.states.includes(ctx.state.name)) {
    done = { status: 'BAD', text: `${command.name} not valid in this state` };
  } else {
    try {
      done = await handler.handle(ctx, command as CommandOf<CommandName>);
    } catch (err) {
      // Half a literal is on the wire: the framing is lost, the session must close.
      if (err instanceof ResponseStreamError) throw err;
      // A store refusal (a keyword limit on STORE, a message gone) is an answer, not a failure.
      if (!isRefusal(err)) ctx.log.error({ event: 'command-failed', verb: command.name, err: String(err) });
      const e = storeErrorCode(err);
      done = { status: 'NO', code: e.code, text: e.text };
    }
    const state = ctx.state;
    if (state.name === 'selected' && command.name !== 'LOGOUT') {
      const allowExpunge = !(handler.noExpungeAfter?.(command as CommandOf<CommandName>) ?? false);
      try {
        await ctx.sendAll(await state.view.sync(allowExpunge));
      } catch (err) {
        ctx.log.warn({ event: 'sync-failed', err: String(err) });
      }
    }
  }
  await ctx.send({
    type: 'tagged',
    tag: command.tag,
    status: done.status,
    ...(done.code ? { code: done.code } : {}),
    text: done.text,
  });
  if (done.after) await done.after();
}

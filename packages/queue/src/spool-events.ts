import type { QueuedMessage, SpoolEventHandler } from '@mailstack/core';
import { spoolEvent } from './queued-message.ts';
import type { PendingEvent, SpoolRecord } from './record.ts';
import { eventRetryAt } from './transitions.ts';

/**
 * Calls the handlers for each of `rec`'s pending events that is due at `now` and keeps, with a
 * later retry time, the ones a handler rejected (reported to `onFailure`). Every spool backend
 * raises its events through this, so "at least once, retried with back-off" means one thing.
 * The caller stores `rec` afterwards.
 */
export async function raiseDueEvents(
  rec: SpoolRecord,
  message: QueuedMessage,
  handlers: Iterable<SpoolEventHandler>,
  now: number,
  onFailure: (pending: PendingEvent, err: unknown) => void,
): Promise<void> {
  const calls = [...handlers];
  const left: PendingEvent[] = [];
  for (const pending of rec.pendingEvents) {
    if (pending.nextTryAt > now || calls.length === 0) {
      left.push(pending);
      continue;
    }
    try {
      const event = spoolEvent(pending.type, message, pending.recipients);
      for (const handler of calls) await handler(event);
    } catch (err) {
      pending.tries++;
      pending.nextTryAt = eventRetryAt(pending, now);
      onFailure(pending, err);
      left.push(pending);
    }
  }
  rec.pendingEvents = left;
}

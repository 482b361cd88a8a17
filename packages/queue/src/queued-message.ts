import { createReadStream } from 'node:fs';
import type { MessageBlob, QueuedMessage, RecipientState, SpoolEvent } from '@mailstack/core';
import type { EventType, RecipientRecord, SpoolRecord } from './record.ts';
import { recordEnvelope } from './record.ts';

/** A body file as a MessageBlob: the queue id is its id; every open() reads from byte 0. */
export function fileBlob(id: string, path: string, size: number): MessageBlob {
  return { id, size, open: () => createReadStream(path) };
}

export function recipientState(r: RecipientRecord): RecipientState {
  const state: RecipientState = {
    recipient: {
      address: r.address,
      ...(r.notify ? { notify: [...r.notify] } : {}),
      ...(r.orcpt !== undefined ? { orcpt: r.orcpt } : {}),
    },
    status: r.status,
    attempts: r.attempts,
  };
  if (r.lastReply) state.lastReply = { ...r.lastReply };
  if (r.lastAttemptAt !== undefined) state.lastAttemptAt = new Date(r.lastAttemptAt);
  if (r.nextAttemptAt !== undefined) state.nextAttemptAt = new Date(r.nextAttemptAt);
  if (r.failure) state.failure = r.failure;
  if (r.delayNotified) state.delayNotified = true;
  return state;
}

export function queuedMessage(rec: SpoolRecord, blob: MessageBlob): QueuedMessage {
  const message: QueuedMessage = {
    id: rec.id,
    envelope: recordEnvelope(rec),
    blob,
    recipients: rec.recipients.map(recipientState),
    attempts: rec.attempts,
    arrivedAt: new Date(rec.arrivedAt),
    nextAttemptAt: new Date(rec.nextAttemptAt),
    held: rec.held,
  };
  if (rec.lease) message.lease = { owner: rec.lease.owner, expiresAt: new Date(rec.lease.expiresAt) };
  return message;
}

export function spoolEvent(type: EventType, message: QueuedMessage, indexes: number[]): SpoolEvent {
  return { type, message, recipients: indexes.map((i) => message.recipients[i]!) };
}

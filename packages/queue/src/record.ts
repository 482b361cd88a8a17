import type {
  DsnNotify,
  Envelope,
  EnvelopeParams,
  FailureReason,
  QueueId,
  ReceivedFrom,
  RecipientStatus,
  Reply,
} from '@mailstack/core';

/**
 * The state of one queued message as the spool keeps it: plain data, times in epoch ms. The
 * `<id>.meta` file is this record as JSON with times as ISO strings (meta-file.ts), so an
 * operator can `cat` it.
 */
export interface SpoolRecord {
  id: QueueId;
  arrivedAt: number;
  /** Body size in bytes: a body file of another size is a torn entry and never leased. */
  size: number;
  mailFrom: string;
  params: EnvelopeParams;
  receivedFrom?: ReceivedFrom;
  recipients: RecipientRecord[];
  attempts: number;
  nextAttemptAt: number;
  held: boolean;
  lease: { owner: string; expiresAt: number } | null;
  /** Events raised but not yet confirmed by the handler; retried until it resolves. */
  pendingEvents: PendingEvent[];
}

export interface RecipientRecord {
  address: string;
  notify?: DsnNotify[];
  orcpt?: string;
  status: RecipientStatus;
  attempts: number;
  lastReply?: Reply;
  lastAttemptAt?: number;
  nextAttemptAt?: number;
  failure?: FailureReason;
  delayNotified?: boolean;
}

export type EventType = 'delay' | 'failed' | 'delivered';

export interface PendingEvent {
  type: EventType;
  /** Indexes into `recipients`. */
  recipients: number[];
  tries: number;
  nextTryAt: number;
}

export function newRecord(id: QueueId, envelope: Envelope, size: number, now: number): SpoolRecord {
  return {
    id,
    arrivedAt: now,
    size,
    mailFrom: envelope.mailFrom,
    params: { ...envelope.params },
    ...(envelope.receivedFrom ? { receivedFrom: { ...envelope.receivedFrom } } : {}),
    recipients: envelope.rcptTo.map((r) => ({
      address: r.address,
      ...(r.notify ? { notify: [...r.notify] } : {}),
      ...(r.orcpt !== undefined ? { orcpt: r.orcpt } : {}),
      status: 'pending',
      attempts: 0,
    })),
    attempts: 0,
    nextAttemptAt: now,
    held: false,
    lease: null,
    pendingEvents: [],
  };
}

export function recordEnvelope(rec: SpoolRecord): Envelope {
  return {
    mailFrom: rec.mailFrom,
    rcptTo: rec.recipients.map((r) => ({
      address: r.address,
      ...(r.notify ? { notify: [...r.notify] } : {}),
      ...(r.orcpt !== undefined ? { orcpt: r.orcpt } : {}),
    })),
    params: { ...rec.params },
    ...(rec.receivedFrom ? { receivedFrom: { ...rec.receivedFrom } } : {}),
  };
}

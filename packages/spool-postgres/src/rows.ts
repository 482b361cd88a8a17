import type {
  DsnNotify,
  EnvelopeParams,
  FailureReason,
  ReceivedFrom,
  RecipientStatus,
  Reply,
} from '@mailstack/core';
import type { RecipientRecord, SpoolRecord } from '@mailstack/queue';

// Rows as node-postgres returns them, and their conversion to and from the queue package's
// SpoolRecord, so this spool applies the very same settle rule and schedule (transitions.ts).

export interface MessageRow {
  id: string;
  arrived_at: Date;
  /** bigint: node-postgres returns it as a string. */
  size: string;
  mail_from: string;
  params: EnvelopeParams;
  received_from: ReceivedFrom | null;
  attempts: number;
  next_attempt_at: Date;
  held: boolean;
  lease_owner: string | null;
  lease_expires_at: Date | null;
}

export interface RecipientRow {
  message_id: string;
  position: number;
  address: string;
  notify: string[] | null;
  orcpt: string | null;
  status: RecipientStatus;
  attempts: number;
  last_reply: Reply | null;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  failure: FailureReason | null;
  delay_notified: boolean;
}

export interface EventRow {
  /** bigserial: a string. */
  seq: string;
  message_id: string;
  type: 'delay' | 'failed' | 'delivered';
  recipients: number[];
  tries: number;
  next_try_at: Date;
}

function recipientRecord(row: RecipientRow): RecipientRecord {
  const r: RecipientRecord = { address: row.address, status: row.status, attempts: row.attempts };
  if (row.notify) r.notify = row.notify as DsnNotify[];
  if (row.orcpt !== null) r.orcpt = row.orcpt;
  if (row.last_reply) r.lastReply = row.last_reply;
  if (row.last_attempt_at) r.lastAttemptAt = row.last_attempt_at.getTime();
  if (row.next_attempt_at) r.nextAttemptAt = row.next_attempt_at.getTime();
  if (row.failure) r.failure = row.failure;
  if (row.delay_notified) r.delayNotified = true;
  return r;
}

/** The record of one message; `recipients` are its rows in position order. Events stay in their table. */
export function toRecord(m: MessageRow, recipients: RecipientRow[]): SpoolRecord {
  return {
    id: m.id,
    arrivedAt: m.arrived_at.getTime(),
    size: Number(m.size),
    mailFrom: m.mail_from,
    params: m.params,
    ...(m.received_from ? { receivedFrom: m.received_from } : {}),
    recipients: recipients.map(recipientRecord),
    attempts: m.attempts,
    nextAttemptAt: m.next_attempt_at.getTime(),
    held: m.held,
    lease:
      m.lease_owner !== null && m.lease_expires_at !== null
        ? { owner: m.lease_owner, expiresAt: m.lease_expires_at.getTime() }
        : null,
    pendingEvents: [],
  };
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The recipients' state as JSON for `jsonb_to_recordset` (see the statements in sql.ts). */
export function recipientsJson(rec: SpoolRecord): string {
  return JSON.stringify(
    rec.recipients.map((r, position) => ({
      position,
      address: r.address,
      notify: r.notify ?? null,
      orcpt: r.orcpt ?? null,
      status: r.status,
      attempts: r.attempts,
      last_reply: r.lastReply ?? null,
      last_attempt_at: iso(r.lastAttemptAt),
      next_attempt_at: iso(r.nextAttemptAt),
      failure: r.failure ?? null,
      delay_notified: r.delayNotified === true,
    })),
  );
}

/** Groups recipient rows (ordered by message, position) by message id. */
export function byMessage(rows: RecipientRow[]): Map<string, RecipientRow[]> {
  const out = new Map<string, RecipientRow[]>();
  for (const row of rows) {
    const list = out.get(row.message_id);
    if (list) list.push(row);
    else out.set(row.message_id, [row]);
  }
  return out;
}

import type { Readable } from 'node:stream';
import type { MessageBlob } from './blob.ts';
import type { Envelope, Recipient } from './envelope.ts';
import type { RecipientResult, Reply } from './reply.ts';

/** A queue id: sortable by arrival time, unique across processes (ULID-like, 26 chars). */
export type QueueId = string;

/**
 * Where one recipient stands. `pending` and `deferred` still need delivery; `delivered` and
 * `failed` are settled. A message leaves the spool once every recipient is settled.
 */
export type RecipientStatus = 'pending' | 'deferred' | 'delivered' | 'failed';

/** Why a recipient failed: a 5xx from the next hop, or the spool gave up retrying 4xx. */
export type FailureReason = 'rejected' | 'expired';

export interface RecipientState {
  /** The recipient as received, with its DSN parameters (NOTIFY, ORCPT). */
  recipient: Recipient;
  status: RecipientStatus;
  /** Delivery attempts that covered this recipient. */
  attempts: number;
  /** The last reply from the next hop (or the spool's own, for a give-up). */
  lastReply?: Reply;
  lastAttemptAt?: Date;
  /** Deferred only: when it is tried again. */
  nextAttemptAt?: Date;
  /** Failed only. */
  failure?: FailureReason;
  /** A delay notice has been raised for this recipient (once per recipient). */
  delayNotified?: boolean;
}

/**
 * Who holds a message for delivery, until when. An expired lease is free for another worker; so
 * is, at once, the lease of an owner the spool knows has died (the file spool: a worker process
 * of this host, see packages/queue/src/lease-owner.ts).
 */
export interface Lease {
  owner: string;
  expiresAt: Date;
}

export interface QueuedMessage {
  id: QueueId;
  /** The envelope as received: sender, every recipient, ENVID/RET, received-from. */
  envelope: Envelope;
  /** The body: immutable, re-openable from byte 0. */
  blob: MessageBlob;
  /** One per `envelope.rcptTo`, same order. */
  recipients: RecipientState[];
  /** Delivery attempts of the message as a whole. */
  attempts: number;
  arrivedAt: Date;
  /** Not leased before this time. */
  nextAttemptAt: Date;
  /** Held by an operator: never leased until released. */
  held: boolean;
  lease?: Lease;
}

export interface LeaseOptions {
  /** Identifies the worker; settle with the same owner. */
  owner: string;
  /** At most this many messages in one batch. */
  max?: number;
  /** How long the worker may hold each message before another worker may take it. */
  leaseMs?: number;
}

export interface SettleOptions {
  /**
   * The lease owner settling. When given and the lease has meanwhile passed to another
   * owner (this worker's lease expired), only final results (2xx, 5xx) are recorded and the
   * other owner's lease is left alone.
   */
  owner?: string;
}

/**
 * What the spool raises for the DSN machinery (RFC 3464): a delay notice once a recipient has
 * waited long enough, a failure (5xx or give-up), a success for recipients that asked for
 * NOTIFY=SUCCESS. The spool decides *when*; the MTA decides whether and how to notify.
 */
export type SpoolEvent =
  | { type: 'delay'; message: QueuedMessage; recipients: RecipientState[] }
  | { type: 'failed'; message: QueuedMessage; recipients: RecipientState[] }
  | { type: 'delivered'; message: QueuedMessage; recipients: RecipientState[] };

/**
 * Called for every event; the spool keeps a message until its handler resolved, so a DSN is
 * raised at least once even across a crash. A rejection is retried later.
 */
export type SpoolEventHandler = (event: SpoolEvent) => Promise<void> | void;

/** The durable spool seam: file-backed by default, a database later. */
export interface Spool {
  /** Resolves only once the message and its envelope are durable (fsynced). */
  enqueue(envelope: Envelope, body: Readable | MessageBlob): Promise<QueueId>;
  /** Leases messages due at `now` to `owner`: never the same message to two live leases. */
  lease(now: Date, options: LeaseOptions): Promise<QueuedMessage[]>;
  /**
   * Records one result per unsettled recipient, in recipient order (2xx delivered, 4xx
   * deferred, 5xx failed), and ends the lease. Unsettled recipients without a result are
   * deferred.
   */
  settle(id: QueueId, results: RecipientResult[], options?: SettleOptions): Promise<void>;
  /** Extends a lease the owner still holds; false when it is no longer theirs. */
  renew(id: QueueId, options: { owner: string; leaseMs: number }): Promise<boolean>;
  /** Registers the events hook; returns a function that removes it. */
  onEvent(handler: SpoolEventHandler): () => void;
  /**
   * Calls `listener` when work may have become due: an enqueue, flush or release by any
   * process sharing this spool (the file spool watches its directory; a database spool
   * listens for notifications). A hint only: the runner still polls for retries coming due
   * and for anything a lost wake-up missed. Returns a function that removes the listener.
   */
  onWake(listener: () => void): () => void;
}

/** What an operator does (mailq, postqueue -f, postsuper -h/-H/-d/-r). */
export interface SpoolOperations {
  list(): Promise<QueuedMessage[]>;
  get(id: QueueId): Promise<QueuedMessage | undefined>;
  /** Makes one message (or every message not held) due now. Returns how many. */
  flush(id?: QueueId): Promise<number>;
  hold(id: QueueId): Promise<boolean>;
  release(id: QueueId): Promise<boolean>;
  delete(id: QueueId): Promise<boolean>;
  /** Back to a fresh start: lease dropped, deferred recipients pending, due now. */
  requeue(id: QueueId): Promise<boolean>;
}

/** True while the recipient still needs a delivery attempt. */
export function isUnsettled(state: RecipientState): boolean {
  return state.status === 'pending' || state.status === 'deferred';
}

/**
 * The envelope a delivery worker sends: only the recipients still unsettled, in order. Its
 * `settle` results line up with this envelope's `rcptTo`.
 */
export function deliveryEnvelope(message: QueuedMessage): Envelope {
  return {
    ...message.envelope,
    rcptTo: message.recipients.filter(isUnsettled).map((r) => r.recipient),
  };
}

import type { RecipientResult, Reply } from '@mailstack/core';
import type { EventType, PendingEvent, RecipientRecord, SpoolRecord } from './record.ts';
import { isDelayNoticeDue, isExpired, nextAttemptTime, type RetryPolicy } from './retry-policy.ts';

// Pure state changes of a spool record: no I/O, so the schedule is tested with plain numbers.

export const isOpen = (r: RecipientRecord) => r.status === 'pending' || r.status === 'deferred';

export function hasOpenRecipients(rec: SpoolRecord): boolean {
  return rec.recipients.some(isOpen);
}

export function isLeasedAt(rec: SpoolRecord, now: number): boolean {
  return rec.lease !== null && rec.lease.expiresAt > now;
}

/** Due for a delivery attempt at `now`. */
export function isDue(rec: SpoolRecord, now: number): boolean {
  return !rec.held && hasOpenRecipients(rec) && rec.nextAttemptAt <= now && !isLeasedAt(rec, now);
}

/**
 * The earliest time the entry may need this process: a delivery attempt, or (when `events`)
 * a pending event to raise. Infinity while held or when nothing is left to do.
 */
export function wantedAt(rec: SpoolRecord, events: boolean): number {
  let at = Number.POSITIVE_INFINITY;
  if (!rec.held && hasOpenRecipients(rec)) {
    at = Math.max(rec.nextAttemptAt, rec.lease ? rec.lease.expiresAt : Number.NEGATIVE_INFINITY);
  }
  if (events) for (const e of rec.pendingEvents) at = Math.min(at, e.nextTryAt);
  return at;
}

/** Nothing left to deliver and nothing left to tell: the message may leave the spool. */
export function isFinished(rec: SpoolRecord): boolean {
  return !hasOpenRecipients(rec) && rec.pendingEvents.length === 0;
}

const NO_RESULT: Reply = { code: 451, enhanced: '4.3.0', text: 'No result from the delivery attempt' };

export interface SettleOutcome {
  /** Events raised by this settle (also appended to `rec.pendingEvents` when tracked). */
  events: { type: EventType; recipients: number[] }[];
  /** Results that matched no open recipient (logged by the caller). */
  unmatched: RecipientResult[];
}

/**
 * Applies one delivery attempt's results to `rec` (in place). A full list from the lease holder
 * lines up with the open recipients by position; otherwise each result goes to the next open
 * recipient with its address (case-insensitively), so results for a subset land right and a late
 * worker's results cannot land on recipients settled meanwhile. `stale` is a settle from a worker whose lease
 * passed to someone else: its 2xx and 5xx are facts and are kept, its 4xx and missing results
 * are left to the live owner, and the live lease stays.
 */
export function applyResults(
  rec: SpoolRecord,
  results: RecipientResult[],
  now: number,
  policy: RetryPolicy,
  options: { stale: boolean; trackEvents: boolean; leaseHeld: boolean },
): SettleOutcome {
  const open = rec.recipients.map((r, i) => (isOpen(r) ? i : -1)).filter((i) => i >= 0);
  const replies = new Map<number, Reply>();
  const unmatched: RecipientResult[] = [];
  if (options.leaseHeld && results.length === open.length) {
    // The delivery contract: one result per open recipient, in order (a hop that rewrote an
    // address, an alias say, still lines up). Only while the settling worker still holds its
    // lease: then the open recipients are exactly the ones it was given.
    for (const [k, result] of results.entries()) replies.set(open[k]!, result.reply);
  } else {
    for (const result of results) {
      const want = result.recipient.toLowerCase();
      const i = open.find((n) => !replies.has(n) && rec.recipients[n]!.address.toLowerCase() === want);
      if (i === undefined) unmatched.push(result);
      else replies.set(i, result.reply);
    }
  }

  const delivered: number[] = [];
  const failed: number[] = [];
  const deferred: number[] = [];
  for (const i of open) {
    const reply = replies.get(i) ?? (options.stale ? undefined : NO_RESULT);
    if (!reply) continue;
    const final = reply.code >= 200 && reply.code < 300 ? 'delivered' : reply.code >= 500 ? 'failed' : null;
    if (options.stale && !final) continue;
    const r = rec.recipients[i]!;
    r.attempts++;
    r.lastReply = storedReply(reply);
    r.lastAttemptAt = now;
    delete r.nextAttemptAt;
    if (final === 'delivered') {
      r.status = 'delivered';
      if (r.notify?.includes('SUCCESS')) delivered.push(i);
    } else if (final === 'failed') {
      r.status = 'failed';
      r.failure = 'rejected';
      failed.push(i);
    } else {
      r.status = 'deferred';
      deferred.push(i);
    }
  }

  const events: SettleOutcome['events'] = [];
  if (!options.stale) {
    rec.attempts++;
    rec.lease = null;
    if (deferred.length > 0) scheduleRetry(rec, deferred, now, policy, failed, events);
  }
  if (failed.length > 0) events.push({ type: 'failed', recipients: failed });
  if (delivered.length > 0) events.push({ type: 'delivered', recipients: delivered });
  if (options.trackEvents) {
    for (const e of events) rec.pendingEvents.push({ ...e, tries: 0, nextTryAt: now });
  }
  return { events, unmatched };
}

/**
 * A settle as the `Spool` seam defines it, applied to `rec` (in place): by `owner` (when given),
 * whose lease may meanwhile have passed to another live owner (then `stale`: only final results
 * count). Events are tracked as pending when `trackEvents` (someone listens).
 */
export function settleRecord(
  rec: SpoolRecord,
  results: RecipientResult[],
  now: number,
  policy: RetryPolicy,
  options: { owner?: string | undefined; trackEvents: boolean },
): SettleOutcome & { stale: boolean } {
  const { owner } = options;
  const stale =
    owner !== undefined && rec.lease !== null && rec.lease.owner !== owner && isLeasedAt(rec, now);
  const outcome = applyResults(rec, results, now, policy, {
    stale,
    trackEvents: options.trackEvents,
    leaseHeld: owner === undefined || rec.lease?.owner === owner,
  });
  return { ...outcome, stale };
}

/** Deferred recipients: give up when too old, raise the delay notice when due, else schedule. */
function scheduleRetry(
  rec: SpoolRecord,
  deferred: number[],
  now: number,
  policy: RetryPolicy,
  failed: number[],
  events: SettleOutcome['events'],
): void {
  if (isExpired(policy, rec.arrivedAt, now)) {
    for (const i of deferred) {
      const r = rec.recipients[i]!;
      r.status = 'failed';
      r.failure = 'expired';
      failed.push(i);
    }
    return;
  }
  if (isDelayNoticeDue(policy, rec.arrivedAt, now)) {
    const owed = deferred.filter((i) => !rec.recipients[i]!.delayNotified);
    for (const i of owed) rec.recipients[i]!.delayNotified = true;
    if (owed.length > 0) events.push({ type: 'delay', recipients: owed });
  }
  const noticeOwed = deferred.some((i) => !rec.recipients[i]!.delayNotified);
  const next = nextAttemptTime(policy, rec.arrivedAt, now, rec.attempts, noticeOwed);
  rec.nextAttemptAt = next;
  for (const i of deferred) rec.recipients[i]!.nextAttemptAt = next;
}

/** Back-off for a handler that rejected an event: 1, 2, 4 ... minutes, at most an hour. */
export function eventRetryAt(event: PendingEvent, now: number): number {
  // `tries` counts the failures so far, the first of which waits one minute.
  return now + Math.min(60, 2 ** Math.min(Math.max(event.tries - 1, 0), 6)) * 60_000;
}

/** Operator flush: due now, pending events too. False (unchanged) while held. */
export function flushRecord(rec: SpoolRecord, now: number): boolean {
  if (rec.held) return false;
  rec.nextAttemptAt = Math.min(rec.nextAttemptAt, now);
  for (const e of rec.pendingEvents) e.nextTryAt = Math.min(e.nextTryAt, now);
  return true;
}

/** Operator requeue: a fresh start for what is still open. */
export function requeueRecord(rec: SpoolRecord, now: number): void {
  rec.lease = null;
  rec.nextAttemptAt = now;
  for (const r of rec.recipients) {
    if (r.status === 'deferred') {
      r.status = 'pending';
      delete r.nextAttemptAt;
    }
  }
}

/**
 * The reply as the meta file keeps it: exactly code, enhanced, text, each of its type. A
 * delivery target written in plain JavaScript (or one that spread extra fields in) must not be
 * able to write a meta file the reader then refuses: the message would drop out of the queue.
 */
function storedReply(reply: Reply): Reply {
  const code = Number.isFinite(reply.code) ? reply.code : 451;
  const enhanced = typeof reply.enhanced === 'string' ? reply.enhanced : '';
  const text = typeof reply.text === 'string' ? reply.text : String(reply.text ?? '');
  return { code, enhanced, text };
}

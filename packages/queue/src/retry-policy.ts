import type { Logger, MetricsSink } from '@mailstack/core';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * When to try again, when to tell the sender it is taking long, when to give up.
 *
 * The default follows RFC 5321 4.5.4.1: the first retries come minutes apart (a greylisting
 * server usually accepts the second try), then the interval backs off to an hour, above the
 * 30 minutes the RFC asks as a minimum; the sender hears about the delay after 4 hours and
 * the message is given up after 5 days ("at least 4-5 days").
 */
export interface RetryPolicy {
  /** Wait after the 1st, 2nd, ... failed attempt; the last entry repeats. */
  delaysMs: number[];
  /** A delay notice once a recipient is still undelivered this long after arrival. */
  delayNoticeAfterMs: number;
  /** Deferred recipients fail (a bounce) once the message is this old. */
  giveUpAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  delaysMs: Object.freeze([5 * MINUTE, 10 * MINUTE, 20 * MINUTE, 40 * MINUTE, HOUR]) as number[],
  delayNoticeAfterMs: 4 * HOUR,
  giveUpAfterMs: 5 * DAY,
});

export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  if (policy.delaysMs.length === 0 || policy.delaysMs.some((d) => !(d > 0))) {
    throw new RangeError('retry delaysMs must be a non-empty list of positive numbers');
  }
  if (!(policy.giveUpAfterMs > 0) || !(policy.delayNoticeAfterMs > 0)) {
    throw new RangeError('giveUpAfterMs and delayNoticeAfterMs must be positive');
  }
  return policy;
}

/** The wait after the `attempts`-th failed attempt (1-based). */
export function retryDelay(policy: RetryPolicy, attempts: number): number {
  const i = Math.min(Math.max(attempts, 1), policy.delaysMs.length) - 1;
  return policy.delaysMs[i]!;
}

/**
 * The next attempt after a deferral. Never later than the delay-notice mark (while a notice is
 * still owed) or the give-up mark, so the notice and the bounce come on time instead of up to
 * one retry interval late: an attempt is made at the mark and its outcome decides.
 */
export function nextAttemptTime(
  policy: RetryPolicy,
  arrivedAt: number,
  now: number,
  attempts: number,
  delayNoticeOwed: boolean,
): number {
  let next = now + retryDelay(policy, attempts);
  const noticeMark = arrivedAt + policy.delayNoticeAfterMs;
  if (delayNoticeOwed && noticeMark > now) next = Math.min(next, noticeMark);
  return Math.min(next, Math.max(arrivedAt + policy.giveUpAfterMs, now));
}

export function isExpired(policy: RetryPolicy, arrivedAt: number, now: number): boolean {
  return now >= arrivedAt + policy.giveUpAfterMs;
}

export function isDelayNoticeDue(policy: RetryPolicy, arrivedAt: number, now: number): boolean {
  return now >= arrivedAt + policy.delayNoticeAfterMs;
}

/** What every spool backend takes (the file spool here, @mailstack/spool-postgres). */
export interface SpoolOptions {
  /** Retry schedule; defaults to RFC 5321 4.5.4.1 (DEFAULT_RETRY_POLICY). */
  retry?: Partial<RetryPolicy>;
  /** Milliseconds since the epoch; injected by tests to walk the schedule without waiting. */
  clock?: () => number;
  logger?: Logger;
  /** Every recipient settled is counted here (delivered, deferred, bounced; arrival-to-delivery latency). */
  metrics?: MetricsSink;
  /** Bodies above this are refused with 552 (default 100 MiB). */
  maxMessageBytes?: number;
  /** Lease length when `lease()` is not given one (default 5 minutes). */
  defaultLeaseMs?: number;
}

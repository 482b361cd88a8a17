import { bufferBlob, type SpoolEvent } from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, type FileSpool, openFileSpool } from '../src/index.ts';
import { nextAttemptTime, retryDelay, retryPolicy } from '../src/retry-policy.ts';
import { DAY, envelope, HOUR, MINUTE, manualClock, reply, tempDir } from './fixtures.ts';

describe('retry schedule math', () => {
  it('backs off from minutes to an hour, at least 30 minutes once settled (RFC 5321 4.5.4.1)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 50].map((n) => retryDelay(DEFAULT_RETRY_POLICY, n) / MINUTE);
    expect(delays).toEqual([5, 10, 20, 40, 60, 60, 60]);
    expect(DEFAULT_RETRY_POLICY.giveUpAfterMs).toBe(5 * DAY);
    expect(DEFAULT_RETRY_POLICY.delayNoticeAfterMs).toBe(4 * HOUR);
  });

  it('never schedules past the delay-notice mark while a notice is owed, nor past give-up', () => {
    const p = DEFAULT_RETRY_POLICY;
    expect(nextAttemptTime(p, 0, 3.5 * HOUR, 6, true)).toBe(4 * HOUR);
    expect(nextAttemptTime(p, 0, 3.5 * HOUR, 6, false)).toBe(4.5 * HOUR);
    expect(nextAttemptTime(p, 0, 5 * DAY - 10 * MINUTE, 60, false)).toBe(5 * DAY);
    expect(nextAttemptTime(p, 0, 0, 1, true)).toBe(5 * MINUTE);
  });

  it('validates a custom policy', () => {
    expect(() => retryPolicy({ delaysMs: [] })).toThrow(RangeError);
    expect(() => retryPolicy({ delaysMs: [1000, -1] })).toThrow(RangeError);
    expect(retryPolicy({ delaysMs: [1000] }).giveUpAfterMs).toBe(5 * DAY);
  });
});

describe('schedule through the spool with an injected clock', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let clock: ReturnType<typeof manualClock>;
  let spool: FileSpool;
  let events: { at: number; event: SpoolEvent }[];
  beforeEach(async () => {
    tmp = await tempDir('mailstack-queue-');
    clock = manualClock();
    spool = await openFileSpool(tmp.path, { clock: clock.now });
    events = [];
    spool.onEvent((event) => {
      events.push({ at: clock.now(), event });
    });
  });
  afterEach(() => tmp.cleanup());

  /** Defers every attempt until the message is gone; returns attempt times in minutes from arrival. */
  async function deferUntilGone(id: string, start: number): Promise<number[]> {
    const attempts: number[] = [];
    for (let guard = 0; guard < 1000; guard++) {
      const m = await spool.get(id);
      if (!m) return attempts;
      clock.set(Math.max(clock.now(), m.nextAttemptAt.getTime()));
      const leased = await spool.lease(clock.date(), { owner: 'w' });
      expect(leased.map((l) => l.id)).toEqual([id]);
      attempts.push((clock.now() - start) / MINUTE);
      await spool.settle(id, [{ recipient: 'slow@r.test', reply: reply(451, 'try later') }], { owner: 'w' });
    }
    throw new Error('never gave up');
  }

  it('retries on the default schedule, raises the delay notice at 4 h and gives up at 5 days', async () => {
    const start = clock.now();
    const id = await spool.enqueue(envelope(['slow@r.test']), bufferBlob('x'));
    const attempts = await deferUntilGone(id, start);

    expect(attempts.slice(0, 10)).toEqual([0, 5, 15, 35, 75, 135, 195, 240, 300, 360]);
    expect(attempts.at(-1)).toBe(5 * 24 * 60);
    // Hourly in between.
    for (let i = 9; i < attempts.length - 1; i++) expect(attempts[i]! - attempts[i - 1]!).toBe(60);

    expect(events.map((e) => [e.event.type, (e.at - start) / MINUTE])).toEqual([
      ['delay', 240],
      ['failed', 5 * 24 * 60],
    ]);
    const [delay, failed] = events.map((e) => e.event);
    expect(delay!.recipients.map((r) => [r.recipient.address, r.status, r.lastReply?.code])).toEqual([
      ['slow@r.test', 'deferred', 451],
    ]);
    expect(
      failed!.recipients.map((r) => [r.recipient.address, r.status, r.failure, r.lastReply?.text]),
    ).toEqual([['slow@r.test', 'failed', 'expired', 'try later']]);
    expect(failed!.message.attempts).toBe(attempts.length);
  });

  it('raises no delay notice for a message delivered before 4 h, and only one per recipient', async () => {
    const fast = await spool.enqueue(envelope(['a@r.test']), bufferBlob('x'));
    await spool.lease(clock.date(), { owner: 'w' });
    await spool.settle(fast, [{ recipient: 'a@r.test', reply: reply(451) }]);
    clock.advance(3 * HOUR);
    await spool.lease(clock.date(), { owner: 'w' });
    await spool.settle(fast, [{ recipient: 'a@r.test', reply: reply(250) }]);
    expect(events).toEqual([]);
    expect(await spool.get(fast)).toBeUndefined();
  });

  it('follows a custom policy', async () => {
    const custom = await openFileSpool(tmp.path, {
      clock: clock.now,
      retry: { delaysMs: [1000, 3000], delayNoticeAfterMs: 2500, giveUpAfterMs: 10_000 },
    });
    const seen: string[] = [];
    custom.onEvent((e) => {
      seen.push(`${e.type}@${clock.now() - start}`);
    });
    const start = clock.now();
    const id = await custom.enqueue(envelope(['slow@r.test']), bufferBlob('x'));
    const times: number[] = [];
    for (;;) {
      const m = await custom.get(id);
      if (!m) break;
      clock.set(m.nextAttemptAt.getTime());
      await custom.lease(clock.date(), { owner: 'w' });
      times.push(clock.now() - start);
      await custom.settle(id, [{ recipient: 'slow@r.test', reply: reply(421) }]);
    }
    expect(times).toEqual([0, 1000, 2500, 5500, 8500, 10_000]);
    expect(seen).toEqual(['delay@2500', 'failed@10000']);
  });
});

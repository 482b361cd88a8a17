import { describe, expect, it } from 'vitest';
import { createAuthThrottle, ipKey } from '../src/index.ts';

function fakeClock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('createAuthThrottle', () => {
  it('lets clean clients through without delay', () => {
    const th = createAuthThrottle({ maxFailures: 3, windowMs: 60_000 });
    expect(th.check({ ip: '192.0.2.1', user: 'alice@example.test' })).toEqual({
      refuse: false,
      delayMs: 0,
      retryAfterMs: 0,
    });
  });

  it('doubles the delay per failure and refuses an IP at maxFailures until the window passes', () => {
    const clock = fakeClock();
    const th = createAuthThrottle({
      maxFailures: 3,
      windowMs: 60_000,
      baseDelayMs: 100,
      maxDelayMs: 250,
      now: clock.now,
    });
    const a = { ip: '192.0.2.1', user: 'alice@example.test' };
    expect(th.recordFailure(a)).toEqual({ refuse: false, delayMs: 100, retryAfterMs: 0 });
    expect(th.recordFailure(a)).toEqual({ refuse: false, delayMs: 200, retryAfterMs: 0 });
    expect(th.recordFailure(a)).toEqual({ refuse: true, delayMs: 250, retryAfterMs: 60_000 });
    clock.advance(59_000);
    expect(th.check(a)).toMatchObject({ refuse: true, retryAfterMs: 1_000 });
    // The same IP trying another user is still refused; another IP for the same user is delayed only.
    expect(th.check({ ip: '192.0.2.1', user: 'bob@example.test' }).refuse).toBe(true);
    expect(th.check({ ip: '198.51.100.7', user: 'alice@example.test' })).toMatchObject({
      refuse: false,
      delayMs: 250,
    });
    clock.advance(1_000);
    expect(th.check(a)).toEqual({ refuse: false, delayMs: 0, retryAfterMs: 0 });
    expect(th.size).toBe(0);
  });

  it('refuses a user guessed at from many addresses at maxUserFailures', () => {
    const clock = fakeClock();
    const th = createAuthThrottle({ maxFailures: 2, maxUserFailures: 5, windowMs: 1_000, now: clock.now });
    for (let i = 1; i <= 4; i++)
      expect(th.recordFailure({ ip: `203.0.113.${i}`, user: 'Alice@Example.test' }).refuse).toBe(false);
    expect(th.recordFailure({ ip: '203.0.113.5', user: 'alice@example.test' }).refuse).toBe(true);
    expect(th.check({ ip: '203.0.113.99', user: 'ALICE@example.test' }).refuse).toBe(true);
    expect(th.check({ ip: '203.0.113.99', user: 'bob@example.test' }).refuse).toBe(false);
  });

  it('forgets the user on success but not the IP', () => {
    const clock = fakeClock();
    const th = createAuthThrottle({ maxFailures: 2, maxUserFailures: 2, windowMs: 1_000, now: clock.now });
    th.recordFailure({ ip: '192.0.2.1', user: 'alice' });
    th.recordSuccess({ ip: '192.0.2.1', user: 'alice' });
    expect(th.check({ user: 'alice' })).toEqual({ refuse: false, delayMs: 0, retryAfterMs: 0 });
    expect(th.check({ ip: '192.0.2.1' }).delayMs).toBeGreaterThan(0);
  });

  it('keeps a window that slides with each failure', () => {
    const clock = fakeClock();
    const th = createAuthThrottle({ maxFailures: 3, windowMs: 1_000, now: clock.now });
    th.recordFailure({ ip: '192.0.2.1' });
    clock.advance(900);
    th.recordFailure({ ip: '192.0.2.1' });
    clock.advance(900);
    expect(th.recordFailure({ ip: '192.0.2.1' }).refuse).toBe(true);
    clock.advance(1_000);
    expect(th.recordFailure({ ip: '192.0.2.1' }).refuse).toBe(false);
  });

  it('bounds memory: drops expired counters first, then the least recently failed', () => {
    const clock = fakeClock();
    const th = createAuthThrottle({ maxFailures: 1, windowMs: 1_000, maxEntries: 3, now: clock.now });
    th.recordFailure({ ip: '10.0.0.1' });
    th.recordFailure({ ip: '10.0.0.2' });
    clock.advance(600);
    th.recordFailure({ ip: '10.0.0.3' });
    clock.advance(500); // 10.0.0.1 and .2 expired
    th.recordFailure({ ip: '10.0.0.4' });
    expect(th.size).toBe(2);
    th.recordFailure({ ip: '10.0.0.5' });
    th.recordFailure({ ip: '10.0.0.6' }); // full of live counters: .3 (the oldest) goes
    expect(th.size).toBe(3);
    expect(th.check({ ip: '10.0.0.3' }).refuse).toBe(false);
    for (const ip of ['10.0.0.4', '10.0.0.5', '10.0.0.6']) expect(th.check({ ip }).refuse, ip).toBe(true);
    for (let i = 0; i < 10_000; i++) th.recordFailure({ ip: `10.1.${i >> 8}.${i & 255}`, user: `u${i}` });
    expect(th.size).toBe(3);
  });

  it('treats one IPv6 /64 as one client and IPv4-mapped addresses as IPv4', () => {
    expect(ipKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(ipKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(ipKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(ipKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(ipKey('::1')).toBe('0:0:0:0::/64');
    const th = createAuthThrottle({ maxFailures: 2, windowMs: 1_000 });
    th.recordFailure({ ip: '2001:db8:1:2::1' });
    th.recordFailure({ ip: '2001:db8:1:2::99' });
    expect(th.check({ ip: '2001:db8:1:2:abcd::5' }).refuse).toBe(true);
    expect(th.check({ ip: '2001:db8:1:3::1' }).refuse).toBe(false);
  });
});

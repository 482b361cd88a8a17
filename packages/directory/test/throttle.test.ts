import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthThrottleOptions,
  createAuthThrottle,
  createMemoryThrottleStore,
  openSharedAuthThrottle,
  openSqliteThrottleStore,
  type ThrottleStore,
} from '../src/index.ts';
import { ipKey } from '../src/throttle.ts';

function fakeClock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

let dir: string;
let files = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'throttle-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stores: Array<[string, (maxEntries?: number) => ThrottleStore]> = [
  ['memory', (max) => createMemoryThrottleStore(max)],
  [
    'sqlite',
    (max) => openSqliteThrottleStore(join(dir, `t${++files}.sqlite`), max ? { maxEntries: max } : {}),
  ],
];

describe.each(stores)('createAuthThrottle over the %s store', (_name, makeStore) => {
  const throttle = (o: AuthThrottleOptions) => createAuthThrottle({ ...o, store: makeStore(o.maxEntries) });

  it('lets clean clients through without delay', async () => {
    const th = throttle({ maxFailures: 3, windowMs: 60_000 });
    expect(await th.check({ ip: '192.0.2.1', user: 'alice@example.test' })).toEqual({
      refuse: false,
      delayMs: 0,
      retryAfterMs: 0,
    });
  });

  it('doubles the delay per failure and refuses an IP at maxFailures until the window passes', async () => {
    const clock = fakeClock();
    const th = throttle({
      maxFailures: 3,
      windowMs: 60_000,
      baseDelayMs: 100,
      maxDelayMs: 250,
      now: clock.now,
    });
    const a = { ip: '192.0.2.1', user: 'alice@example.test' };
    expect(await th.recordFailure(a)).toEqual({ refuse: false, delayMs: 100, retryAfterMs: 0 });
    expect(await th.recordFailure(a)).toEqual({ refuse: false, delayMs: 200, retryAfterMs: 0 });
    expect(await th.recordFailure(a)).toEqual({ refuse: true, delayMs: 250, retryAfterMs: 60_000 });
    clock.advance(59_000);
    expect(await th.check(a)).toMatchObject({ refuse: true, retryAfterMs: 1_000 });
    // The same IP trying another user is still refused; another IP for the same user is delayed only.
    expect((await th.check({ ip: '192.0.2.1', user: 'bob@example.test' })).refuse).toBe(true);
    expect(await th.check({ ip: '198.51.100.7', user: 'alice@example.test' })).toMatchObject({
      refuse: false,
      delayMs: 250,
    });
    clock.advance(1_000);
    expect(await th.check(a)).toEqual({ refuse: false, delayMs: 0, retryAfterMs: 0 });
  });

  it('past maxUserFailures refuses the account to addresses with failures, never to a clean one', async () => {
    const clock = fakeClock();
    const th = throttle({ maxFailures: 2, maxUserFailures: 5, windowMs: 1_000, now: clock.now });
    for (let i = 1; i <= 4; i++)
      expect((await th.recordFailure({ ip: `203.0.113.${i}`, user: 'Alice@Example.test' })).refuse).toBe(
        false,
      );
    // The fifth failure puts the account over its limit: the guessing address is refused next.
    expect((await th.recordFailure({ ip: '203.0.113.5', user: 'alice@example.test' })).refuse).toBe(true);
    expect((await th.check({ ip: '203.0.113.1', user: 'ALICE@example.test' })).refuse).toBe(true);
    expect((await th.check({ ip: '203.0.113.1', user: 'bob@example.test' })).refuse).toBe(false);
    // The owner from an address without failures still gets a password check (failures delayed).
    expect(await th.check({ ip: '203.0.113.99', user: 'alice@example.test' })).toMatchObject({
      refuse: false,
    });
    // With no address to credit, the account limit applies.
    expect((await th.check({ user: 'alice@example.test' })).refuse).toBe(true);
  });

  it('counts every spelling of an address for its one account', async () => {
    const th = throttle({ maxFailures: 100, maxUserFailures: 4, windowMs: 1_000 });
    for (const user of [
      'alice@example.test.',
      'alice@exam\u00adple.test',
      'alice@ｅxample.test',
      'alice@example\u3002test',
    ])
      await th.recordFailure({ ip: '192.0.2.1', user });
    expect((await th.check({ ip: '192.0.2.1', user: 'Alice@Example.Test' })).refuse).toBe(true);
  });

  it('forgets the user on success but not the IP', async () => {
    const clock = fakeClock();
    const th = throttle({ maxFailures: 2, maxUserFailures: 2, windowMs: 1_000, now: clock.now });
    await th.recordFailure({ ip: '192.0.2.1', user: 'alice' });
    await th.recordSuccess({ ip: '192.0.2.1', user: 'alice' });
    expect(await th.check({ user: 'alice' })).toEqual({ refuse: false, delayMs: 0, retryAfterMs: 0 });
    expect((await th.check({ ip: '192.0.2.1' })).delayMs).toBeGreaterThan(0);
  });

  it('keeps a window that slides with each failure', async () => {
    const clock = fakeClock();
    const th = throttle({ maxFailures: 3, windowMs: 1_000, now: clock.now });
    await th.recordFailure({ ip: '192.0.2.1' });
    clock.advance(900);
    await th.recordFailure({ ip: '192.0.2.1' });
    clock.advance(900);
    expect((await th.recordFailure({ ip: '192.0.2.1' })).refuse).toBe(true);
    clock.advance(1_000);
    expect((await th.recordFailure({ ip: '192.0.2.1' })).refuse).toBe(false);
  });

  it('bounds memory: drops expired counters first, then the least recently failed', async () => {
    const clock = fakeClock();
    const th = throttle({ maxFailures: 1, windowMs: 1_000, maxEntries: 3, now: clock.now });
    await th.recordFailure({ ip: '10.0.0.1' });
    await th.recordFailure({ ip: '10.0.0.2' });
    clock.advance(600);
    await th.recordFailure({ ip: '10.0.0.3' });
    clock.advance(500); // 10.0.0.1 and .2 expired
    await th.recordFailure({ ip: '10.0.0.4' });
    expect(th.size).toBe(2);
    await th.recordFailure({ ip: '10.0.0.5' });
    await th.recordFailure({ ip: '10.0.0.6' }); // full of live counters: .3 (the oldest) goes
    expect(th.size).toBe(3);
    expect((await th.check({ ip: '10.0.0.3' })).refuse).toBe(false);
    for (const ip of ['10.0.0.4', '10.0.0.5', '10.0.0.6'])
      expect((await th.check({ ip })).refuse, ip).toBe(true);
    for (let i = 0; i < 2_000; i++)
      await th.recordFailure({ ip: `10.1.${i >> 8}.${i & 255}`, user: `u${i}` });
    expect(th.size).toBeLessThanOrEqual(3);
  });

  it('treats one IPv6 /64 as one client', async () => {
    const th = throttle({ maxFailures: 2, windowMs: 1_000 });
    await th.recordFailure({ ip: '2001:db8:1:2::1' });
    await th.recordFailure({ ip: '2001:db8:1:2::99' });
    expect((await th.check({ ip: '2001:db8:1:2:abcd::5' })).refuse).toBe(true);
    expect((await th.check({ ip: '2001:db8:1:3::1' })).refuse).toBe(false);
  });
});

describe('the shared (SQLite) throttle', () => {
  it('is one budget for every throttle opened on the file, created owner-only', async () => {
    const path = join(dir, 'shared.sqlite');
    const options = { maxFailures: 2, windowMs: 60_000, baseDelayMs: 1 };
    const imap = openSharedAuthThrottle(path, options);
    const pop3 = openSharedAuthThrottle(path, options);
    await imap.recordFailure({ ip: '192.0.2.7', user: 'bob@example.test' });
    await pop3.recordFailure({ ip: '192.0.2.7', user: 'bob@example.test' });
    expect((await imap.check({ ip: '192.0.2.7' })).refuse).toBe(true);
    expect((await pop3.check({ ip: '192.0.2.7' })).refuse).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    imap.close();
    pop3.close();
  });
});

describe('ipKey', () => {
  it('cuts IPv6 to its /64 and reads IPv4-mapped addresses as IPv4', () => {
    expect(ipKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(ipKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(ipKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(ipKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(ipKey('::1')).toBe('0:0:0:0::/64');
  });
});

/**
 * Issue 11.3: 40 failures from a few addresses locked the owner out for 15 minutes, even with
 * the right password from a clean address. Penalties are per client address now; the
 * account's own limit never refuses an address that has no failures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Attempt,
  attempts,
  BOB,
  BOB_PW,
  startThrottledServers,
  type ThrottledServers,
} from './throttle-clients.ts';

let servers: ThrottledServers;
let imapPort: number;
let pop3Port: number;

beforeAll(async () => {
  // The shipped limits (10 per address, 4 x 10 per account, 15 minutes), without the delays.
  servers = await startThrottledServers({
    maxFailures: 10,
    windowMs: 15 * 60_000,
    baseDelayMs: 1,
    maxDelayMs: 2,
  });
  ({ imapPort, pop3Port } = servers);
});

afterAll(() => servers?.close());

describe('penalties per client address', () => {
  it('40 failures from four addresses refuse those addresses, not the owner on a clean one', async () => {
    const guessers = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
    const guesses: Attempt[] = guessers.flatMap((src) =>
      Array.from({ length: 10 }, (_, i) => ({
        proto: i % 2 ? ('pop3' as const) : ('imap' as const),
        port: i % 2 ? pop3Port : imapPort,
        src,
        user: BOB,
        password: `guess-${i}`,
      })),
    );
    const out = await attempts([
      ...guesses,
      // Each guessing address is now refused, also with the right password.
      ...guessers.map((src) => ({
        proto: 'imap' as const,
        port: imapPort,
        src,
        user: BOB,
        password: BOB_PW,
      })),
      // The owner, from an address with no failures: a wrong password is checked (not refused),
      // and the right one logs in, on IMAP and on POP3.
      { proto: 'imap', port: imapPort, src: '127.0.0.9', user: BOB, password: 'typo' },
      { proto: 'imap', port: imapPort, src: '127.0.0.10', user: BOB, password: BOB_PW },
      { proto: 'pop3', port: pop3Port, src: '127.0.0.11', user: BOB, password: BOB_PW },
    ]);
    expect(out.slice(0, 40).every((o) => !o.ok && /AUTHENTICATIONFAILED|\[AUTH\]/.test(o.text))).toBe(true);
    for (const o of out.slice(40, 44))
      expect(o).toMatchObject({ ok: false, text: expect.stringContaining('UNAVAILABLE') });
    expect(out[44]).toMatchObject({ ok: false, text: expect.stringContaining('AUTHENTICATIONFAILED') });
    expect(out[45]).toEqual({ ok: true, text: '' });
    expect(out[46]).toEqual({ ok: true, text: '' });
  });
});

/**
 * Issue 11.3: other spellings of one account logged in as that account and got a counter of
 * their own. Now a login name must be the account's address (ASCII case aside), and every
 * spelling's failures count for the one account.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { attempts, BOB, BOB_PW, startThrottledServers, type ThrottledServers } from './throttle-clients.ts';

/** Every spelling that the lenient lookup mapped onto bob@example.test. */
const SPELLINGS = [
  'bob@example.test.', // trailing dot on the domain
  'bob@exam\u00adple.test', // soft hyphen (IDNA maps it to nothing)
  'bob@ｅｘａｍｐｌｅ.test', // fullwidth letters
  'bob@example\u3002test', // ideographic full stop
  'bob@example.test/../alice', // the URL host parser stops at / ? # \
  'bob@example.test?x',
  'bob@example.test#x',
  'bob@example.test\\x',
];

let servers: ThrottledServers;
let imapPort: number;
let pop3Port: number;

beforeAll(async () => {
  // The IP limit is high here: only the account's counter is under test.
  servers = await startThrottledServers({
    maxFailures: 100,
    maxUserFailures: 4,
    windowMs: 60_000,
    baseDelayMs: 1,
    maxDelayMs: 2,
  });
  ({ imapPort, pop3Port } = servers);
});

afterAll(() => servers?.close());

beforeEach(() => servers.throttle.clear());

describe('login names', () => {
  it('refuses every other spelling of an account, with the right password, on IMAP and POP3', async () => {
    // Each from its own address: these failures put bob over his limit, and an address
    // with no failures of its own still gets its password checked.
    const tries = SPELLINGS.flatMap((user, i) => [
      { proto: 'imap-plain' as const, port: imapPort, src: `127.0.1.${i + 1}`, user, password: BOB_PW },
      { proto: 'pop3' as const, port: pop3Port, src: `127.0.2.${i + 1}`, user, password: BOB_PW },
    ]);
    const out = await attempts(tries);
    out.forEach((o, i) => {
      expect(o.ok, `${tries[i]!.proto} ${JSON.stringify(tries[i]!.user)}`).toBe(false);
      expect(o.text).toMatch(/AUTHENTICATIONFAILED|\[AUTH\]/);
    });
  });

  it('still takes the address itself in any ASCII case, by LOGIN, AUTHENTICATE and USER/PASS', async () => {
    const out = await attempts([
      { proto: 'imap', port: imapPort, src: '127.0.0.3', user: 'Bob@Example.TEST', password: BOB_PW },
      { proto: 'imap-plain', port: imapPort, src: '127.0.0.3', user: BOB, password: BOB_PW },
      { proto: 'pop3', port: pop3Port, src: '127.0.0.3', user: 'BOB@example.test', password: BOB_PW },
    ]);
    expect(out).toEqual([
      { ok: true, text: '' },
      { ok: true, text: '' },
      { ok: true, text: '' },
    ]);
  });

  it('counts wrong guesses under every spelling against the one account', async () => {
    // Four wrong guesses, each under another spelling, put bob over maxUserFailures (4):
    // the guessing address is then refused for bob even with the right password.
    const guesses = SPELLINGS.slice(0, 4).map((user) => ({
      proto: 'imap-plain' as const,
      port: imapPort,
      src: '127.0.0.4',
      user,
      password: 'wrong',
    }));
    const out = await attempts([
      ...guesses,
      { proto: 'imap', port: imapPort, src: '127.0.0.4', user: BOB, password: BOB_PW },
    ]);
    expect(out.slice(0, 4).every((o) => !o.ok)).toBe(true);
    expect(out[4]).toMatchObject({ ok: false, text: expect.stringContaining('UNAVAILABLE') });
  });
});

describe('AUTHENTICATE PLAIN with another identity (authzid)', () => {
  it('answers IMAP NO [AUTHORIZATIONFAILED] (RFC 5530), POP3 -ERR [AUTH]; the same identity is fine', async () => {
    const out = await attempts([
      {
        proto: 'imap-plain',
        port: imapPort,
        src: '127.0.0.5',
        user: BOB,
        password: BOB_PW,
        authzid: 'alice@example.test',
      },
      {
        proto: 'pop3-plain',
        port: pop3Port,
        src: '127.0.0.5',
        user: BOB,
        password: BOB_PW,
        authzid: 'alice@example.test',
      },
      {
        proto: 'imap-plain',
        port: imapPort,
        src: '127.0.0.5',
        user: BOB,
        password: BOB_PW,
        authzid: 'Bob@Example.test',
      },
    ]);
    expect(out[0]).toMatchObject({ ok: false, text: expect.stringContaining('[AUTHORIZATIONFAILED]') });
    expect(out[1]).toMatchObject({ ok: false, text: expect.stringContaining('-ERR [AUTH]') });
    expect(out[2]).toEqual({ ok: true, text: '' });
  });
});

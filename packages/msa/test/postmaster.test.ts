import { memoryDirectory, smtpTranscript } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ALIASES, type Harness, plainAuth, startHarness, USERS } from './fixtures.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('RCPT TO:<postmaster> without a domain (RFC 5321 4.5.1)', () => {
  it('is accepted and queued for the postmaster of our domain', async () => {
    const directory = memoryDirectory({
      users: USERS,
      aliases: { ...ALIASES, 'postmaster@example.test': ['bob@example.test'] },
    });
    h = await startHarness({ directory, allowCleartextAuthOnLoopback: true });
    await smtpTranscript(h.port, '127.0.0.1', [
      { expect: /^220 / },
      { send: 'EHLO client.example.test', expect: '250' },
      { send: `AUTH PLAIN ${plainAuth('alice@example.test', 'alice-pw')}`, expect: /^235 / },
      { send: 'MAIL FROM:<alice@example.test>', expect: /^250 / },
      { send: 'RCPT TO:<POSTMASTER>', expect: /^250 / },
      { send: 'DATA', expect: /^354/ },
      { send: 'From: alice@example.test\r\nSubject: hi postmaster\r\n\r\nhello\r\n.', expect: /^250 / },
    ]);
    const [stored] = await h.stored();
    expect(stored?.envelope.rcptTo).toEqual([{ address: 'postmaster@example.test' }]);
  });
});

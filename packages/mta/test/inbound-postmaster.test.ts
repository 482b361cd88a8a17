import { memoryDirectory, smtpTranscript } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type InboundHarness, startInbound, USERS } from './inbound-fixtures.ts';

let h: InboundHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('RCPT TO:<postmaster> without a domain (RFC 5321 4.5.1)', () => {
  it('is accepted and delivered to the postmaster of our domain, in any case', async () => {
    const directory = memoryDirectory({ users: { ...USERS, 'postmaster@example.test': 'pm-pw' } });
    h = await startInbound({ directory });
    await smtpTranscript(h.port, '127.0.0.1', [
      { expect: /^220 / },
      { send: 'EHLO client.remote.test', expect: '250' },
      { send: 'MAIL FROM:<sender@remote.test>', expect: /^250 / },
      { send: 'RCPT TO:<Postmaster>', expect: /^250 / },
      { send: 'DATA', expect: /^354/ },
      { send: 'Subject: to the postmaster\r\n\r\nhello\r\n.', expect: /^250 / },
      { send: 'MAIL FROM:<sender@remote.test>', expect: /^250 / },
      // anything else without a domain is still no mailbox
      { send: 'RCPT TO:<alice>', expect: /^5\d\d 5\.1\.3 / },
    ]);
    const [stored] = await h.stored();
    expect(stored?.envelope.rcptTo).toEqual([{ address: 'postmaster@example.test' }]);
    expect(stored?.text).toMatch(/for <postmaster@example\.test>/);
  });
});

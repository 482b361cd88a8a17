import { type DnsServer, runPython, startDnsServer } from '@mailstack/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailHost, startMailHost } from '../helpers/mail-host.ts';
import { waitFor } from '../helpers/net.ts';

// Issue 11: carol, logged in to the MSA, sent `From: bob@h.test<CR>X: carol@h.test`. The
// sender check read carol (the field split at CRLF only), the next hop split at the bare CR
// and showed bob as the author. Now the MSA refuses bare CR, bare LF and NUL, so nothing of
// the kind reaches the queue, and what it queues is what it checked.
let dns: DnsServer;
let host: MailHost;

beforeAll(async () => {
  dns = await startDnsServer({ ttl: 0, zone: {} });
  host = await startMailHost({
    ip: '127.0.0.1',
    port: 0,
    domain: 'h.test',
    users: { 'bob@h.test': 'bob-pw', 'carol@h.test': 'carol-pw', 'dave@h.test': 'dave-pw' },
    dnsServer: dns.address,
    pregreetMs: 0,
    msa: true,
  });
});
afterAll(async () => {
  await host?.close();
  await dns?.close();
});

/** carol over STARTTLS + AUTH with Python's smtplib, each message sent as these exact bytes. */
const script = `
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.starttls(context=ctx)
s.login("carol@h.test", "carol-pw")
cases = [
    ("bare-cr", b"From: bob@h.test\\rX: carol@h.test\\r\\nTo: dave@h.test\\r\\nSubject: forged-cr\\r\\n\\r\\nhi\\r\\n"),
    ("bare-lf", b"From: carol@h.test\\nFrom: bob@h.test\\r\\nTo: dave@h.test\\r\\nSubject: forged-lf\\r\\n\\r\\nhi\\r\\n"),
    ("nul", b"From: bob@h.test\\x00\\r\\nFrom: carol@h.test\\r\\nSubject: forged-nul\\r\\n\\r\\nhi\\r\\n"),
    ("clean", b"From: carol@h.test\\r\\nTo: dave@h.test\\r\\nSubject: honest\\r\\n\\r\\nhi\\r\\n"),
]
for name, msg in cases:
    try:
        s.sendmail("carol@h.test", ["dave@h.test"], msg)
        print(name, 250)
    except smtplib.SMTPDataError as e:
        print(name, e.smtp_code, e.smtp_error.decode())
s.quit()
`;

describe('MSA → queue → Maildir: header lines split by a bare CR, a bare LF or a NUL', () => {
  it('never reach the queue: 550 5.6.0 at DATA, and only the honest message is delivered', async () => {
    const r = await runPython(script, [host.msaPort as number]);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^bare-cr 550 5\.6\.0 /),
      expect.stringMatching(/^bare-lf 550 5\.6\.0 /),
      expect.stringMatching(/^nul 550 5\.6\.0 /),
      'clean 250',
    ]);
    const honest = await host.waitForMessage('dave@h.test', (m) => m.includes('Subject: honest'));
    await waitFor('the spool to empty', async () => (await host.spool.list()).length === 0);
    const inbox = await host.messages('dave@h.test');
    expect(inbox).toEqual([honest]);
    expect(inbox.join('')).not.toContain('bob@h.test');
    expect(honest).toMatch(/\nFrom: carol@h\.test\r?\n/);
  });
});

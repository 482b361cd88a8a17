import { runPython } from '@mailstack/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './fixtures.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

// Python's smtplib after STARTTLS and AUTH, sending each message as bytes (a str message
// would get its line ends fixed by smtplib first): one line per case, `name code reply`.
const script = `
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.starttls(context=ctx)
s.login("alice@example.test", "alice-pw")
cases = [
    ("bare-cr-from", b"From: bob@example.test\\rX: alice@example.test\\r\\nSubject: bare-cr-from\\r\\n\\r\\nhi\\r\\n"),
    ("bare-lf-from", b"From: alice@example.test\\nX: y\\r\\nSubject: bare-lf-from\\r\\n\\r\\nhi\\r\\n"),
    ("bare-cr-body", b"From: alice@example.test\\r\\nSubject: bare-cr-body\\r\\n\\r\\nhi\\rthere\\r\\n"),
    ("nul-head", b"From: alice@example.test\\r\\nSubject: nul\\x00-head\\r\\n\\r\\nhi\\r\\n"),
    ("nul-body", b"From: alice@example.test\\r\\nSubject: nul-body\\r\\n\\r\\n" + b"x" * 200000 + b"\\x00\\r\\n"),
    ("clean", b"From: alice@example.test\\r\\nSubject: clean\\r\\n\\r\\nhi\\r\\n"),
]
for name, msg in cases:
    try:
        s.sendmail("alice@example.test", ["bob@example.test"], msg)
        print(name, 250, "accepted")
    except smtplib.SMTPDataError as e:
        print(name, e.smtp_code, e.smtp_error.decode())
s.quit()
`;

describe('bare CR, bare LF and NUL in a submission', () => {
  it('are refused with 550 5.6.0 after AUTH, in head and body, and the session goes on', async () => {
    const r = await runPython(script, [h.port]);
    expect(r.stderr).toBe('');
    const replies = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((line) => {
          const [name, ...reply] = line.split(' ');
          return [name, reply.join(' ')];
        }),
    );
    // the From: a reader splitting at the bare CR sees is bob's, though alice sent it
    expect(replies['bare-cr-from']).toMatch(/^550 5\.6\.0 .*bare CR or LF/);
    expect(replies['bare-lf-from']).toMatch(/^550 5\.6\.0 .*bare CR or LF/);
    expect(replies['bare-cr-body']).toMatch(/^550 5\.6\.0 .*bare CR or LF/);
    expect(replies['nul-head']).toMatch(/^550 5\.6\.0 .*NUL/);
    expect(replies['nul-body']).toMatch(/^550 5\.6\.0 .*NUL/);
    expect(replies.clean).toMatch(/^250 /);
    const stored = await h.stored();
    expect(stored.map((m) => /Subject: (.*)\r\n/.exec(m.body.toString())?.[1])).toEqual(['clean']);
  });
});

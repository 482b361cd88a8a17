import { runPython } from '@mailstack/testkit';
import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './fixtures.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const raw = (subject: string) =>
  `From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: ${subject}\r\n\r\nHello from a real client\r\n`;

function transport(port: number, secure: boolean, authMethod: 'PLAIN' | 'LOGIN') {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure,
    requireTLS: !secure,
    tls: { rejectUnauthorized: false },
    auth: { user: 'alice@example.test', pass: 'alice-pw' },
    authMethod,
  });
}

describe('real clients over TLS', () => {
  it('nodemailer: STARTTLS on the 587-style listener with AUTH PLAIN', async () => {
    const info = await transport(h.port, false, 'PLAIN').sendMail({
      envelope: { from: 'alice@example.test', to: ['bob@example.test'] },
      raw: raw('starttls plain'),
    });
    expect(info.response).toMatch(/^250 2\.0\.0 Queued as /);
    const [stored] = await h.stored();
    expect(stored?.body.toString()).toContain('Subject: starttls plain');
    expect(stored?.body.toString()).toMatch(/with ESMTPSA/);
  });

  it('nodemailer: implicit TLS on the 465-style listener with AUTH LOGIN', async () => {
    const info = await transport(h.tlsPort, true, 'LOGIN').sendMail({
      envelope: { from: 'alice@example.test', to: ['bob@example.test', 'carol@remote.test'] },
      raw: raw('implicit login'),
    });
    expect(info.accepted).toEqual(['bob@example.test', 'carol@remote.test']);
    const [stored] = await h.stored();
    expect(stored?.envelope.rcptTo.map((r) => r.address)).toEqual(['bob@example.test', 'carol@remote.test']);
  });

  it('nodemailer: a spoofed From: header is refused with 553 5.7.1', async () => {
    const err = await transport(h.port, false, 'PLAIN')
      .sendMail({
        envelope: { from: 'alice@example.test', to: ['bob@example.test'] },
        raw: 'From: bob@example.test\r\nSubject: spoof\r\n\r\nx\r\n',
      })
      .catch((e: { responseCode?: number; response?: string }) => e);
    expect((err as { responseCode?: number }).responseCode).toBe(553);
    expect((err as { response?: string }).response).toMatch(/^553 5\.7\.1 /);
    expect(await h.stored()).toHaveLength(0);
  });

  it("Python's smtplib: starttls + login, and SMTP_SSL with AUTH PLAIN", async () => {
    const script = `
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
port, tls_port = int(sys.argv[1]), int(sys.argv[2])
msg = "From: alice@example.test\\r\\nTo: bob@example.test\\r\\nSubject: %s\\r\\n\\r\\nhi\\r\\n"
s = smtplib.SMTP("127.0.0.1", port)
s.ehlo("py.example.test")
print("before-tls-auth", "auth" in s.esmtp_features)
s.starttls(context=ctx)
s.ehlo("py.example.test")
print("after-tls-auth", s.esmtp_features.get("auth").strip())
s.login("alice@example.test", "alice-pw")
print("sent", s.sendmail("alice@example.test", ["bob@example.test"], msg % "python starttls"))
s.quit()
s = smtplib.SMTP_SSL("127.0.0.1", tls_port, context=ctx)
s.ehlo("py.example.test")
s.user, s.password = "alice@example.test", "alice-pw"
code, resp = s.auth("PLAIN", s.auth_plain)
print("auth-plain", code)
print("sent", s.sendmail("alice@example.test", ["bob@example.test"], msg % "python ssl"))
try:
    s.sendmail("bob@example.test", ["bob@example.test"], msg % "spoof")
except smtplib.SMTPSenderRefused as e:
    print("spoof", e.smtp_code, e.smtp_error.decode())
s.quit()
try:
    s = smtplib.SMTP_SSL("127.0.0.1", tls_port, context=ctx)
    s.login("alice@example.test", "wrong")
except smtplib.SMTPAuthenticationError as e:
    print("bad-password", e.smtp_code, e.smtp_error.decode())
`;
    const r = await runPython(script, [h.port, h.tlsPort]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('before-tls-auth False');
    expect(r.stdout).toContain('after-tls-auth PLAIN LOGIN');
    expect(r.stdout).toContain('auth-plain 235');
    expect(r.stdout.match(/^sent \{\}$/gm)).toHaveLength(2);
    expect(r.stdout).toMatch(/^spoof 553 5\.7\.1 /m);
    expect(r.stdout).toMatch(/^bad-password 535 5\.7\.8 /m);
    const subjects = (await h.stored()).map((m) => /Subject: (.*)\r\n/.exec(m.body.toString())?.[1]).sort();
    expect(subjects).toEqual(['python ssl', 'python starttls']);
  });

  it("Python's smtplib: no AUTH → 530, AUTH before STARTTLS → 538, over-size → 552", async () => {
    const script = `
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
port, tls_port = int(sys.argv[1]), int(sys.argv[2])
s = smtplib.SMTP("127.0.0.1", port)
s.ehlo("py.example.test")
print("cleartext-auth", s.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1wdw=="))
s.starttls(context=ctx)
s.ehlo("py.example.test")
try:
    s.sendmail("alice@example.test", ["bob@example.test"], "From: alice@example.test\\r\\n\\r\\nx\\r\\n")
except smtplib.SMTPSenderRefused as e:
    print("no-auth", e.smtp_code, e.smtp_error.decode())
s.quit()
s = smtplib.SMTP_SSL("127.0.0.1", tls_port, context=ctx)
s.login("alice@example.test", "alice-pw")
big = "From: alice@example.test\\r\\n\\r\\n" + ("x" * 998 + "\\r\\n") * 40
try:
    s.sendmail("alice@example.test", ["bob@example.test"], big)
except smtplib.SMTPSenderRefused as e:
    print("too-big", e.smtp_code, e.smtp_error.decode())
s.quit()
`;
    await h.close();
    h = await startHarness({ maxMessageSize: 20_000 });
    const r = await runPython(script, [h.port, h.tlsPort]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^cleartext-auth \(538, b'5\.7\.11 /m);
    expect(r.stdout).toMatch(/^no-auth 530 5\.7\.0 /m);
    // smtplib declares SIZE= on MAIL, so the refusal comes before any data is sent
    expect(r.stdout).toMatch(/^too-big 552 5\.3\.4 /m);
    expect(await h.stored()).toHaveLength(0);
  });

  it('nodemailer: without credentials 530, wrong password 535, allowed in cleartext only with the loopback switch', async () => {
    const send = (options: Record<string, unknown>) =>
      nodemailer
        .createTransport({ host: '127.0.0.1', tls: { rejectUnauthorized: false }, ...options })
        .sendMail({ envelope: { from: 'alice@example.test', to: ['bob@example.test'] }, raw: raw('x') })
        .then(
          (info) => info.response as string,
          (e: { response?: string }) => e.response ?? String(e),
        );
    expect(await send({ port: h.tlsPort, secure: true })).toMatch(/^530 5\.7\.0 /);
    expect(
      await send({ port: h.tlsPort, secure: true, auth: { user: 'alice@example.test', pass: 'x' } }),
    ).toMatch(/^535 5\.7\.8 /);
    const creds = { auth: { user: 'alice@example.test', pass: 'alice-pw' }, ignoreTLS: true };
    expect(await send({ port: h.port, secure: false, ...creds })).toMatch(/^530 5\.7\.0 /);
    await h.close();
    h = await startHarness({ allowCleartextAuthOnLoopback: true });
    expect(await send({ port: h.port, secure: false, ...creds })).toMatch(/^250 2\.0\.0 /);
    expect((await h.stored())[0]?.body.toString()).toMatch(/ with ESMTPA\r\n/);
  });
});

import { runPython } from '@mailstack/testkit';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, message, startHarness } from './fixtures.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('LMTP delivery with real clients', () => {
  it('nodemailer (lmtp: true) delivers to two users, each copy with its own trace headers', async () => {
    h = await startHarness();
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: h.port,
      lmtp: true,
      ignoreTLS: true,
    });
    const info = await transport.sendMail({
      envelope: { from: 'sender@remote.test', to: ['alice@example.test', 'bob@example.test'] },
      raw: message({ id: 'nm-1' }),
    });
    transport.close();
    expect(info.accepted).toEqual(['alice@example.test', 'bob@example.test']);
    const [alice] = await h.messages('alice@example.test');
    const [bob] = await h.messages('bob@example.test');
    expect(alice).toMatch(
      /^Return-Path: <sender@remote\.test>\r\nDelivered-To: alice@example\.test\r\nFrom: /,
    );
    expect(bob).toMatch(/^Return-Path: <sender@remote\.test>\r\nDelivered-To: bob@example\.test\r\nFrom: /);
    expect(alice).toContain('token nm-1');
  });

  it("Python's smtplib.LMTP delivers, with the null sender as Return-Path: <>", async () => {
    h = await startHarness();
    const script = `
import smtplib, sys
c = smtplib.LMTP('127.0.0.1', int(sys.argv[1]))
code, caps = c.ehlo_or_helo_if_needed() or (None, None)
print('refused', c.sendmail('<>', ['alice@example.test'], sys.argv[2].encode()))
print('esmtp', sorted(c.esmtp_features))
c.quit()
`;
    const result = await runPython(script, [h.port, message({ id: 'py-1' })]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('refused {}');
    expect(result.stdout).toMatch(/'8bitmime'.*'enhancedstatuscodes'.*'pipelining'.*'size'/);
    const [alice] = await h.messages('alice@example.test');
    expect(alice).toMatch(/^Return-Path: <>\r\nDelivered-To: alice@example\.test\r\n/);
    expect(alice).toContain('token py-1');
  });

  it("Python's smtplib.LMTP over a unix socket", async () => {
    h = await startHarness();
    const path = `${h.dir.path}/lmtp.sock`;
    const { createLmtpServer } = await import('../src/index.ts');
    const unixServer = createLmtpServer({ directory: h.directory, store: h.store, closeTimeoutMs: 500 });
    expect(await unixServer.listen(path)).toEqual({ path });
    try {
      const script = `
import smtplib, sys
c = smtplib.LMTP(sys.argv[1])
print('refused', c.sendmail('sender@remote.test', ['bob@example.test'], sys.argv[2].encode()))
c.quit()
`;
      const result = await runPython(script, [path, message({ id: 'unix-1' })]);
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('refused {}');
    } finally {
      await unixServer.close();
    }
    const [bob] = await h.messages('bob@example.test');
    expect(bob).toContain('token unix-1');
  });
});

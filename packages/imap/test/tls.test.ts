import { lineClient } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, message, startHarness, testCertificate } from './fixtures.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('TLS', () => {
  it('offers STARTTLS with LOGINDISABLED, then lets imapflow log in over TLS', async () => {
    h = await startHarness({ tls: await testCertificate(), allowCleartextAuthOnLoopback: false });
    const raw = await lineClient(h.port);
    const greeting = await raw.read();
    expect(greeting).toMatch(/STARTTLS/);
    expect(greeting).toMatch(/LOGINDISABLED/);
    expect(greeting).not.toMatch(/AUTH=PLAIN/);
    await raw.close();
    await h.deliver(message(1));
    const c = await h.client('starttls');
    expect(c.secureConnection).toBe(true);
    const box = await c.mailboxOpen('INBOX');
    expect(box.exists).toBe(1);
    await c.logout();
  });

  it('serves implicit TLS', async () => {
    h = await startHarness({
      tls: await testCertificate(),
      implicitTls: true,
      allowCleartextAuthOnLoopback: false,
    });
    const c = await h.client('implicit');
    expect(c.capabilities.has('STARTTLS')).toBe(false);
    expect((await c.list()).map((m) => m.path)).toContain('INBOX');
    await c.logout();
  });
});

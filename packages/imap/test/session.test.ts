import { connect } from 'node:net';
import { lineClient } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, type Harness, message, startHarness } from './fixtures.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('IMAP session', () => {
  it('logs in with imapflow, lists, selects and reads status', async () => {
    h = await startHarness();
    await h.deliver(message(1));
    await h.deliver(message(2));
    const c = await h.client();
    expect(c.capabilities.has('IDLE')).toBe(true);
    expect(c.capabilities.has('UIDPLUS')).toBe(true);
    const list = await c.list();
    const names = list.map((m) => m.path);
    expect(names).toContain('INBOX');
    expect(names).toContain('Sent');
    expect(list.find((m) => m.path === 'Sent')?.specialUse).toBe('\\Sent');
    const box = await c.mailboxOpen('INBOX');
    expect(box.exists).toBe(2);
    expect(box.uidValidity).toBeGreaterThan(0n);
    expect(box.permanentFlags?.has('\\*')).toBe(true);
    const st = await c.status('INBOX', { messages: true, unseen: true, uidNext: true });
    if (!st) throw new Error('no status');
    expect(st.messages).toBe(2);
    expect(st.unseen).toBe(2);
    await c.mailboxCreate('Lists/Work');
    const after = await c.list();
    expect(after.find((m) => m.path === 'Lists')?.flags.has('\\HasChildren')).toBe(true);
    expect(after.find((m) => m.path === 'Lists/Work')?.flags.has('\\HasNoChildren')).toBe(true);
    await c.mailboxRename('Lists/Work', 'Lists/Play');
    expect((await c.list()).map((m) => m.path)).toContain('Lists/Play');
    await c.mailboxDelete('Lists/Play');
    expect((await c.list()).map((m) => m.path)).not.toContain('Lists/Play');
    await c.logout();
  });

  it('refuses a wrong password with AUTHENTICATIONFAILED and throttles', async () => {
    h = await startHarness();
    const port = h.port;
    const client = await lineClient(port);
    expect(await client.read()).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 .*AUTH=PLAIN/);
    for (let i = 1; i <= 3; i++) {
      client.write(`a${i} LOGIN ${ALICE} wrong\r\n`);
      expect(await client.read()).toBe(`a${i} NO [AUTHENTICATIONFAILED] invalid user name or password`);
    }
    client.write(`a4 LOGIN ${ALICE} alice-pw\r\n`);
    expect(await client.read()).toMatch(/^a4 NO \[UNAVAILABLE\]/);
    await client.close();
  });

  it('speaks AUTHENTICATE PLAIN with SASL-IR and continuation, then NAMESPACE and ID', async () => {
    h = await startHarness();
    const client = await lineClient(h.port);
    await client.read();
    const plain = Buffer.from(`\0${ALICE}\0alice-pw`).toString('base64');
    client.write('a1 AUTHENTICATE PLAIN\r\n');
    expect(await client.read()).toBe('+ ');
    client.write(`${plain}\r\n`);
    expect(await client.read()).toMatch(/^a1 OK \[CAPABILITY /);
    client.write('a2 NAMESPACE\r\na3 ID NIL\r\n');
    expect(await client.read()).toBe('* NAMESPACE (("" "/")) NIL NIL');
    expect(await client.read()).toBe('a2 OK NAMESPACE completed');
    expect(await client.read()).toBe('* ID ("name" "Mailstack")');
    expect(await client.read()).toBe('a3 OK ID completed');
    const c2 = await lineClient(h.port);
    await c2.read();
    c2.write(`b1 AUTHENTICATE PLAIN ${plain}\r\nb2 SELECT INBOX\r\n`);
    expect(await c2.read()).toMatch(/^b1 OK/);
    expect(await c2.read()).toMatch(/^\* FLAGS \(/);
    await client.close();
    await c2.close();
  });

  it('offers LOGINDISABLED off loopback switch and BAD for commands in the wrong state', async () => {
    h = await startHarness({ allowCleartextAuthOnLoopback: false });
    const client = await lineClient(h.port);
    expect(await client.read()).toMatch(/LOGINDISABLED/);
    client.write(`a1 LOGIN ${ALICE} alice-pw\r\na2 SELECT INBOX\r\na3 LOGOUT\r\n`);
    expect(await client.read()).toMatch(/^a1 NO \[PRIVACYREQUIRED\]/);
    expect(await client.read()).toBe('a2 BAD SELECT not valid in this state');
    expect(await client.read()).toMatch(/^\* BYE/);
    expect(await client.read()).toBe('a3 OK LOGOUT completed');
    await client.close();
  });

  it('turns away connections over maxConnections with BYE', async () => {
    h = await startHarness({ maxConnections: 1 });
    const first = await lineClient(h.port);
    expect(await first.read()).toMatch(/^\* OK /);
    const second = await lineClient(h.port);
    expect(await second.read()).toBe('* BYE [UNAVAILABLE] too many connections; try again later');
    await second.closed;
    expect(h.server.connections).toBe(1);
    await first.close();
    await second.close();
  });

  it('closes idle connections with BYE', async () => {
    h = await startHarness({ idleTimeoutMs: 200 });
    const sock = connect(h.port, '127.0.0.1');
    let data = '';
    sock.on('data', (d) => (data += d));
    await new Promise((resolve) => sock.on('close', resolve));
    expect(data).toMatch(/\* BYE autologout/);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, type HarnessOptions, plainAuth, startHarness } from './fixtures.ts';
import { TlsSmtpClient } from './tls-client.ts';

let h: Harness;
const clients: TlsSmtpClient[] = [];
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await h.close();
});

async function restart(options: HarnessOptions) {
  await h.close();
  h = await startHarness(options);
}

async function loggedIn(user = 'alice@example.test', pass = 'alice-pw', implicit = false) {
  const c = implicit ? await TlsSmtpClient.implicit(h.tlsPort) : await TlsSmtpClient.starttls(h.port);
  clients.push(c);
  if (implicit) await c.expect(/^220 /);
  const ehlo = await c.command('EHLO client.example.test', /^250-/);
  await c.command(`AUTH PLAIN ${plainAuth(user, pass)}`, /^235 2\.7\.0/);
  return { c, ehlo };
}

describe('submission on the wire (raw TLS)', () => {
  it('advertises the extensions after STARTTLS and AUTH only then', async () => {
    const { ehlo } = await loggedIn();
    for (const ext of [
      'PIPELINING',
      '8BITMIME',
      'SMTPUTF8',
      'ENHANCEDSTATUSCODES',
      'DSN',
      'AUTH PLAIN LOGIN',
    ])
      expect(ehlo).toContain(ext);
    expect(ehlo).toMatch(/SIZE \d+/);
    expect(ehlo).not.toContain('STARTTLS');
    expect(ehlo).not.toContain('REQUIRETLS');
  });

  it('runs a pipelined transaction and stores the message with DSN parameters', async () => {
    const { c } = await loggedIn(undefined, undefined, true);
    c.write(
      'MAIL FROM:<alice@example.test> RET=HDRS ENVID=env+2Bid-1\r\n' +
        'RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.test\r\n' +
        'RCPT TO:<carol@remote.test> NOTIFY=NEVER\r\n' +
        'DATA\r\n',
    );
    expect(await c.reply()).toMatch(/^250 2\.1\.0/);
    expect(await c.reply()).toMatch(/^250 2\.1\.5/);
    expect(await c.reply()).toMatch(/^250 2\.1\.5/);
    expect(await c.reply()).toMatch(/^354/);
    c.write('From: alice@example.test\r\nTo: bob@example.test\r\nSubject: pipelined\r\n\r\nHello\r\n.\r\n');
    const done = await c.reply();
    expect(done).toMatch(/^250 2\.0\.0 Queued as (\S+)/);
    const [stored] = await h.stored();
    expect(done).toContain(stored?.id);
    expect(stored?.envelope).toMatchObject({
      mailFrom: 'alice@example.test',
      rcptTo: [
        { address: 'bob@example.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;bob@example.test' },
        { address: 'carol@remote.test', notify: ['NEVER'] },
      ],
      params: { ret: 'HDRS', envId: 'env+id-1' },
      receivedFrom: { authUser: 'alice@example.test', tls: true },
    });
  });

  it('stores a UTF-8 address and an 8-bit body byte-exact, dot-stuffed lines unstuffed', async () => {
    const { c } = await loggedIn('jöran@exämple.test', 'jöran-pw');
    await c.command('MAIL FROM:<jöran@exämple.test> SMTPUTF8 BODY=8BITMIME', /^250 2\.1\.0/);
    await c.command('RCPT TO:<ünï@remote.test>', /^250 2\.1\.5/);
    await c.command('DATA', /^354/);
    const body = Buffer.concat([
      Buffer.from(
        'From: Jöran <jöran@exämple.test>\r\nTo: ünï@remote.test\r\nSubject: Grüße\r\n' +
          'Date: Mon, 23 Nov 2026 08:00:00 +0000\r\nMessage-ID: <kept@exämple.test>\r\n\r\n',
        'utf8',
      ),
      Buffer.from([0xc3, 0xa4, 0xff, 0x80, 0x0d, 0x0a]), // UTF-8 ä and two bytes that are not UTF-8
      Buffer.from('..leading dot\r\n...two dots\r\n.\tdot tab\r\nlast line without dot\r\n', 'latin1'),
    ]);
    const stuffedOnWire = Buffer.from(body.toString('latin1').replace(/^\./gm, '..'), 'latin1');
    c.write(Buffer.concat([stuffedOnWire, Buffer.from('.\r\n')]));
    await c.expect(/^250 2\.0\.0/);
    const [stored] = await h.stored();
    expect(stored?.envelope.mailFrom).toBe('jöran@exämple.test');
    expect(stored?.envelope.rcptTo).toEqual([{ address: 'ünï@remote.test' }]);
    expect(stored?.envelope.params).toMatchObject({ smtpUtf8: true, body: '8BITMIME' });
    const received = stored?.body.subarray(0, stored.body.indexOf('From: ')) as Buffer;
    expect(received.toString()).toMatch(/^Received: /);
    // everything after our Received header is exactly what the client meant (dots unstuffed)
    expect(Buffer.compare(stored?.body.subarray(received.length) as Buffer, body)).toBe(0);
  });

  it('adds Date and Message-ID when missing, with a Received header naming the session', async () => {
    const { c } = await loggedIn();
    await c.command('MAIL FROM:<alice@example.test>', /^250/);
    await c.command('RCPT TO:<bob@example.test>', /^250/);
    await c.command('DATA', /^354/);
    c.write('From: Alice <alice@example.test>\r\nSubject: bare\r\n\r\nbody\r\n.\r\n');
    await c.expect(/^250 2\.0\.0/);
    const [stored] = await h.stored();
    const text = stored?.body.toString('utf8') ?? '';
    expect(text).toMatch(
      /^Received: from client\.example\.test \(\[127\.0\.0\.1\]\)\r\n\tby msa\.example\.test \(Mailstack MSA\) with ESMTPSA\r\n\t\(TLSv1\.[23] cipher [^)]+\)\r\n\t\(authenticated sender: alice@example\.test\)\r\n\tid \S+ for <bob@example\.test>;\r\n\t\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/,
    );
    expect(text).toMatch(
      /\r\nFrom: Alice <alice@example\.test>\r\nSubject: bare\r\nDate: \w{3}, .+ \+0000\r\nMessage-ID: <[^@>]+@msa\.example\.test>\r\n\r\nbody\r\n$/,
    );
  });

  it('keeps Date and Message-ID the client gave', async () => {
    const { c } = await loggedIn();
    await c.command('MAIL FROM:<alice@example.test>', /^250/);
    await c.command('RCPT TO:<bob@example.test>', /^250/);
    await c.command('DATA', /^354/);
    c.write(
      'Message-ID: <mine@example.test>\r\nDate: Sun, 1 Nov 2026 10:00:00 +0100\r\nFrom: alice@example.test\r\n\r\nx\r\n.\r\n',
    );
    await c.expect(/^250 2\.0\.0/);
    const text = (await h.stored())[0]?.body.toString('utf8') ?? '';
    expect(text.match(/^Message-ID:/gim)).toHaveLength(1);
    expect(text.match(/^Date:/gim)).toHaveLength(1);
    expect(text).toContain('\r\nMessage-ID: <mine@example.test>\r\nDate: Sun, 1 Nov 2026 10:00:00 +0100\r\n');
  });

  it('streams a large 8-bit message into the spool byte-exact', async () => {
    const { c } = await loggedIn();
    await c.command('MAIL FROM:<alice@example.test> BODY=8BITMIME', /^250/);
    await c.command('RCPT TO:<bob@example.test>', /^250/);
    await c.command('DATA', /^354/);
    const lines: Buffer[] = [
      Buffer.from(
        'From: alice@example.test\r\nDate: Mon, 23 Nov 2026 08:00:00 +0000\r\nMessage-ID: <big@example.test>\r\n\r\n',
      ),
    ];
    for (let i = 0; i < 30_000; i++) {
      const line = Buffer.alloc(70, 0x41 + (i % 26));
      line[i % 70] = 0x80 + (i % 128); // one 8-bit byte per line, somewhere
      if (i % 97 === 0) line[0] = 0x2e; // and now and then a leading dot
      lines.push(line, Buffer.from('\r\n'));
    }
    const body = Buffer.concat(lines);
    c.write(Buffer.from(body.toString('latin1').replace(/^\./gm, '..'), 'latin1'));
    c.write('.\r\n');
    await c.expect(/^250 2\.0\.0/);
    const [stored] = await h.stored();
    const text = stored?.body as Buffer;
    const start = text.indexOf('From: ');
    expect(text.subarray(0, start).toString()).toMatch(/^Received: /);
    expect(Buffer.compare(text.subarray(start), body)).toBe(0);
  });

  it('leaves the client IP out of Received with hideClientIp', async () => {
    await restart({ hideClientIp: true });
    const { c } = await loggedIn(undefined, undefined, true);
    await c.command('MAIL FROM:<alice@example.test>', /^250/);
    await c.command('RCPT TO:<bob@example.test>', /^250/);
    await c.command('RCPT TO:<carol@remote.test>', /^250/);
    await c.command('DATA', /^354/);
    c.write('From: alice@example.test\r\n\r\nx\r\n.\r\n');
    await c.expect(/^250 2\.0\.0/);
    const text = (await h.stored())[0]?.body.toString() ?? '';
    expect(text).toMatch(/^Received: from client\.example\.test\r\n\tby msa\.example\.test /);
    expect(text).not.toContain('127.0.0.1');
    // two recipients: neither is named in the trace
    expect(text).toMatch(/\tid \S+;\r\n/);
  });
});

import { type LineClient, lineClient } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { filesUnder, type Harness, message, startHarness } from './fixtures.ts';
import { command, dataBlock, replies, reply } from './wire.ts';

let h: Harness | undefined;
let client: LineClient | undefined;
afterEach(async () => {
  await client?.close();
  await h?.close();
  client = undefined;
  h = undefined;
});

async function connect(harness: Harness): Promise<LineClient> {
  const c = await lineClient(harness.port);
  expect(await reply(c)).toMatch(/^220 \S+ LMTP/);
  return c;
}

describe('LMTP protocol', () => {
  it('advertises PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES and SIZE on LHLO and refuses HELO/EHLO', async () => {
    h = await startHarness({ listener: { maxMessageSize: 4096 } });
    client = await connect(h);
    expect(await command(client, 'EHLO client.test')).toMatch(/^500 /);
    await client.writeLine('LHLO client.test');
    const lines = await client.readUntil(/^250 /);
    const caps = lines.map((l) => l.slice(4));
    expect(caps).toEqual(
      expect.arrayContaining(['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES', 'SIZE 4096']),
    );
  });

  it('answers a whole pipelined session sent in one write, in order', async () => {
    h = await startHarness();
    client = await lineClient(h.port);
    await client.write(
      [
        'LHLO pipe.test',
        'MAIL FROM:<s@remote.test>',
        'RCPT TO:<alice@example.test>',
        'RCPT TO:<nobody@example.test>',
        'RCPT TO:<bob@example.test>',
        'DATA',
        dataBlock(message({ id: 'pipe-1' })).replace(/\r\n$/, ''),
        'RSET',
        'NOOP',
        'MAIL FROM:<>',
        'RCPT TO:<bob@example.test>',
        'DATA',
        dataBlock(message({ id: 'pipe-2' })).replace(/\r\n$/, ''),
        'QUIT',
        '',
      ].join('\r\n'),
    );
    const got = await replies(client, 15);
    expect(got.map((r) => r.slice(0, 3))).toEqual([
      '220',
      '250',
      '250',
      '250',
      '550',
      '250',
      '354',
      '250',
      '250',
      '250',
      '250',
      '250',
      '250',
      '354',
      '250',
    ]);
    expect(await reply(client)).toMatch(/^221 /);
    expect(await h.messages('alice@example.test')).toHaveLength(1);
    const bob = await h.messages('bob@example.test');
    expect(bob).toHaveLength(2);
    expect(bob[1]).toMatch(/^Return-Path: <>\r\n/);
  });

  it('answers malformed commands with 5xx and carries on', async () => {
    h = await startHarness();
    client = await connect(h);
    expect(await command(client, 'MAIL FROM:<s@remote.test>')).toMatch(/^503 /); // before LHLO
    expect(await command(client, 'LHLO')).toMatch(/^501 /);
    expect(await command(client, 'LHLO client.test')).toMatch(/^250 /);
    expect(await command(client, 'FROB nicate')).toMatch(/^500 /);
    expect(await command(client, 'RCPT TO:<alice@example.test>')).toMatch(/^503 /); // before MAIL
    expect(await command(client, 'DATA')).toMatch(/^503 /);
    expect(await command(client, 'MAIL FROM:<s@remote.test> BODY=WHATEVER')).toMatch(/^501 /);
    expect(await command(client, 'MAIL FROM:<s@remote.test>')).toMatch(/^250 /);
    expect(await command(client, 'MAIL FROM:<s@remote.test>')).toMatch(/^503 /); // nested
    expect(await command(client, 'NOOP')).toMatch(/^250 /);
    expect(await command(client, 'RSET')).toMatch(/^250 /);
    expect(await command(client, 'QUIT')).toMatch(/^221 /);
  });

  it('answers invalid addresses with 501 5.1.3 / 5.1.7', async () => {
    h = await startHarness();
    client = await connect(h);
    await command(client, 'LHLO client.test');
    expect(await command(client, 'MAIL FROM:<not an address>')).toMatch(/^501 5\.1\.7 /);
    expect(await command(client, 'MAIL FROM:<s@remote.test>')).toMatch(/^250 /);
    for (const bad of [
      '<>',
      '<no-at-sign>',
      '<a@@example.test>',
      '<.a@example.test>',
      'alice@example.test',
      '<a b@example.test>',
    ]) {
      expect(await command(client, `RCPT TO:${bad}`)).toMatch(/^501 5\.1\.3 /);
    }
    expect(await command(client, 'RCPT TO:<alice@example.test>')).toMatch(/^250 /);
  });

  it('refuses an over-size message with 552 5.3.4 per recipient and writes nothing', async () => {
    h = await startHarness({ listener: { maxMessageSize: 1024 } });
    client = await connect(h);
    await command(client, 'LHLO client.test');
    expect(await command(client, 'MAIL FROM:<s@remote.test> SIZE=5000')).toMatch(/^552 5\.3\.4 /);
    expect(await command(client, 'MAIL FROM:<s@remote.test>')).toMatch(/^250 /);
    await command(client, 'RCPT TO:<alice@example.test>');
    await command(client, 'RCPT TO:<bob@example.test>');
    expect(await command(client, 'DATA')).toMatch(/^354 /);
    await client.write(dataBlock(message({ id: 'big-1', body: 'z'.repeat(5000) })));
    expect(await replies(client, 2)).toEqual([
      expect.stringMatching(/^552 5\.3\.4 /),
      expect.stringMatching(/^552 5\.3\.4 /),
    ]);
    expect(await command(client, 'NOOP')).toMatch(/^250 /);
    expect((await filesUnder(h.dir.path)).filter((f) => /\/(new|cur|tmp)\//.test(f))).toEqual([]);
  });

  it('stores nothing when the client drops the connection in the middle of DATA, and keeps serving', async () => {
    h = await startHarness();
    const dropper = await connect(h);
    await command(dropper, 'LHLO client.test');
    await command(dropper, 'MAIL FROM:<s@remote.test>');
    await command(dropper, 'RCPT TO:<alice@example.test>');
    expect(await command(dropper, 'DATA')).toMatch(/^354 /);
    await dropper.write('Subject: cut short\r\n\r\nhalf a mess');
    dropper.socket.destroy();
    await dropper.closed;
    client = await connect(h);
    await command(client, 'LHLO client.test');
    await command(client, 'MAIL FROM:<s@remote.test>');
    await command(client, 'RCPT TO:<alice@example.test>');
    await command(client, 'DATA');
    await client.write(dataBlock(message({ id: 'after-drop' })));
    expect(await reply(client)).toMatch(/^250 /);
    const alice = await h.messages('alice@example.test');
    expect(alice).toHaveLength(1);
    expect(alice[0]).toContain('token after-drop');
  });

  it('keeps a message with 8-bit content and a leading dot line intact', async () => {
    h = await startHarness();
    client = await connect(h);
    await command(client, 'LHLO client.test');
    await command(client, 'MAIL FROM:<s@remote.test> BODY=8BITMIME');
    await command(client, 'RCPT TO:<alice@example.test>');
    await command(client, 'DATA');
    await client.write(dataBlock(message({ id: 'dots', body: '.leading dot\r\n..two dots\r\nGrüße' })));
    expect(await reply(client)).toMatch(/^250 /);
    const [alice] = await h.messages('alice@example.test');
    expect(alice).toContain('\r\n.leading dot\r\n..two dots\r\nGrüße\r\n');
  });
});

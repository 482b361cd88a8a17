import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type Envelope, readAll, type Spool } from '@mailstack/core';
import { lineClient, smtpTranscript, tempDir } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type InboundHarness, startInbound } from './inbound-fixtures.ts';

let h: InboundHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const MiB = 1024 * 1024;

const greeting = [{ expect: /^220 / }, { send: 'EHLO client.remote.test', expect: '250' }];
/** MAIL, RCPT and DATA up to the 354; the message and its expected reply follow. */
const toAlice = [
  { send: 'MAIL FROM:<sender@remote.test>', expect: /^250 / },
  { send: 'RCPT TO:<alice@example.test>', expect: /^250 / },
  { send: 'DATA', expect: /^354/ },
];

/**
 * A spool that takes the first chunk of a body, says so, and reads no further until released:
 * a server that streams cannot then take the rest of a large message from its client (the
 * socket stays unread), while one that buffers has read all of it before the spool sees a byte.
 */
function gatedSpool() {
  let firstChunk!: () => void;
  let release!: () => void;
  const gate = {
    firstChunk: new Promise<void>((r) => {
      firstChunk = r;
    }),
    released: new Promise<void>((r) => {
      release = r;
    }),
    release: () => release(),
    bytes: 0,
  };
  const spool = {
    async enqueue(_envelope: Envelope, body: Readable) {
      for await (const chunk of body) {
        if (gate.bytes === 0) {
          firstChunk();
          await gate.released;
        }
        gate.bytes += (chunk as Buffer).length;
      }
      return 'gated-1';
    },
  } as unknown as Spool;
  return { spool, gate };
}

describe('inbound DATA streams to the spool', () => {
  it('the spool gets the first bytes of a 48 MiB message while most of it is still with the client', async () => {
    const { spool, gate } = gatedSpool();
    h = await startInbound({ spool, maxMessageSize: 64 * MiB });
    const c = await lineClient(h.port);
    await c.readUntil(/^220 /);
    await c.writeLine('EHLO client.remote.test');
    await c.readUntil(/^250 /);
    await c.writeLine('MAIL FROM:<sender@remote.test>');
    await c.readUntil(/^250 /);
    await c.writeLine('RCPT TO:<alice@example.test>');
    await c.readUntil(/^250 /);
    await c.writeLine('DATA');
    await c.readUntil(/^354 /);
    const line = Buffer.from(`${'x'.repeat(998)}\r\n`);
    const chunk = Buffer.concat(new Array(1024).fill(line)); // ~1 MiB of 1000-byte lines
    // more than the kernel may buffer on loopback (tcp_rmem max is often 6 or 32 MiB, wmem 4 MiB)
    const total = 48;
    const sent = (async () => {
      await c.write('From: sender@remote.test\r\nSubject: big\r\n\r\n');
      for (let i = 0; i < total; i++) await c.write(chunk);
      await c.write('.\r\n');
      return 'client' as const;
    })();
    // Buffered, the whole message is read off the socket before enqueue starts: the client
    // finishes writing first. Streamed, the unread socket holds the client back.
    const first = await Promise.race([gate.firstChunk.then(() => 'spool' as const), sent]);
    expect(first).toBe('spool');
    gate.release();
    await sent;
    expect((await c.readUntil(/^\d{3} /)).at(-1)).toMatch(/^250 .*Queued as gated-1/);
    expect(gate.bytes).toBeGreaterThan(total * chunk.length);
    await c.close();
  });

  it('with a data check: the check reads the whole message from the staging file, which is gone after', async () => {
    const staging = await tempDir('mailstack-staging-');
    const seen: string[] = [];
    h = await startInbound({
      stagingDir: join(staging.path, 'in'),
      checks: [
        {
          name: 'content',
          data: async (ctx) => {
            const whole = ctx.message ? (await readAll(ctx.message.open())).toString() : '';
            seen.push(whole);
            return whole.includes('SPAM') ? { action: 'reject' } : { action: 'accept' };
          },
        },
      ],
    });
    const body = `${'y'.repeat(998)}\r\n`.repeat(300);
    await smtpTranscript(h.port, '127.0.0.1', [
      ...greeting,
      ...toAlice,
      { send: `Subject: fine\r\n\r\n${body}.`, expect: /^250 / },
      ...toAlice,
      { send: `Subject: x\r\n\r\n${body}SPAM\r\n.`, expect: /^550 5\.7\.1 / },
    ]);
    expect(seen[0]).toBe(`Subject: fine\r\n\r\n${body}`);
    const [stored] = await h.stored();
    expect(stored?.text.endsWith(`\r\nSubject: fine\r\n\r\n${body}`)).toBe(true);
    expect(await readdir(join(staging.path, 'in'))).toEqual([]);
    await staging.cleanup();
  });

  it('a NUL or bare LF deep in a streamed body: 550 5.6.0, nothing stored, no file left in the spool', async () => {
    h = await startInbound({}, { spoolOnDisk: true });
    const body = `${'z'.repeat(998)}\r\n`.repeat(600);
    await smtpTranscript(h.port, '127.0.0.1', [
      ...greeting,
      ...toAlice,
      { send: `Subject: nul\r\n\r\n${body}a\0b\r\n.`, expect: /^550 5\.6\.0 .*NUL/ },
      ...toAlice,
      { send: `Subject: lf\r\n\r\n${body}a\nb\r\n.`, expect: /^550 5\.6\.0 .*bare CR or LF/ },
    ]);
    expect(await h.stored()).toEqual([]);
    const spoolDir = join(h.dir!.path, 'spool');
    expect([...(await readdir(join(spoolDir, 'queue'))), ...(await readdir(join(spoolDir, 'tmp')))]).toEqual(
      [],
    );
  });

  it('a host that lets bare LF through still takes an LF-only message larger than the head limit', async () => {
    h = await startInbound({ rejectBareLineEnds: false });
    const body = `Subject: lf only\n\n${`${'w'.repeat(998)}\n`.repeat(1500)}`;
    await smtpTranscript(h.port, '127.0.0.1', [
      ...greeting,
      ...toAlice,
      { send: `${body}end\r\n.`, expect: /^250 / },
    ]);
    const [stored] = await h.stored();
    expect(stored?.text.startsWith('Received: ')).toBe(true);
    expect(stored?.text.endsWith(`${body}end\r\n`)).toBe(true);
  });
});

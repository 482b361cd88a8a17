import { connect } from 'node:net';
import { Readable } from 'node:stream';
import type { Folder, MailboxStore } from '@mailstack/core';
import { memoryDirectory } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createImapServer, type ImapServer } from '../src/index.ts';

const SIZE = 64 * 1024 * 1024;
const LINE = `${'x'.repeat(78)}\r\n`;
const HEAD = 'Subject: big\r\n\r\n';

/** A store with one huge lazily generated message that counts how much of it was read. */
function hugeMessageStore(): { store: MailboxStore; pulled: () => number } {
  let pulled = 0;
  const MESSAGES = [{ uid: 1, flags: ['\\Seen'], size: SIZE, internalDate: new Date(0), modseq: 1 }];
  const block = Buffer.from(LINE.repeat(Math.floor(65536 / LINE.length)));
  const folder = {
    user: 'a@example.test',
    name: 'INBOX',
    uidValidity: 7,
    uidNext: 2,
    highestModseq: 1,
    messages: () => MESSAGES,
    changesSince: () => ({ changed: [], expunged: [] }),
    keywords: () => [],
    refresh: async () => [],
    claimRecent: async () => [],
    read: () =>
      new Readable({
        read() {
          if (pulled === 0) {
            pulled += HEAD.length;
            this.push(Buffer.from(HEAD));
            return;
          }
          const n = Math.min(block.length, SIZE - pulled);
          if (n <= 0) return void this.push(null);
          pulled += n;
          this.push(block.subarray(0, n));
        },
      }),
    close: async () => {},
  } as unknown as Folder;
  const store = { openFolder: async () => folder } as unknown as MailboxStore;
  return { store, pulled: () => pulled };
}

let server: ImapServer | undefined;
afterEach(async () => {
  await server?.close();
});

describe('FETCH backpressure', () => {
  it('reads the message only as fast as the client takes it', async () => {
    const { store, pulled } = hugeMessageStore();
    server = createImapServer({
      directory: memoryDirectory({ users: { 'a@example.test': 'pw' } }),
      store,
      hostname: 'imap.example.test',
      allowCleartextAuthOnLoopback: true,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const socket = connect({ port, host: '127.0.0.1' });
    let received = 0;
    let ahead = 0;
    let tail = '';
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        ahead = Math.max(ahead, pulled() - received);
        tail = (tail + chunk.toString('latin1')).slice(-64);
        if (tail.endsWith('c OK FETCH completed\r\n')) resolve();
      });
      socket.write('a LOGIN a@example.test pw\r\nb SELECT INBOX\r\nc FETCH 1 BODY.PEEK[]\r\n');
    });
    socket.destroy();
    expect(pulled()).toBe(SIZE);
    expect(received).toBeGreaterThan(SIZE);
    // Socket buffers and stream high-water marks only: far below the message size. Loopback
    // buffers autotune with load (5-22 MB measured on a busy 2-core machine), so the bound is
    // half the message: a server that read it all ahead would be at 64 MB.
    expect(ahead).toBeLessThan(SIZE / 2);
  }, 60_000);
});

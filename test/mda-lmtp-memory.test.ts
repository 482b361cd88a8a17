/**
 * Issue 11, item 4: the LMTP server streams DATA to disk instead of holding each message in
 * memory. The MDA process (main.ts) takes several large messages at once; its peak resident
 * memory (VmHWM) must grow by far less than the messages' total size.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { memoryDirectory, type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { storeFor, writeDirectoryFile } from '../packages/mda/test/fixtures.ts';
import { type AgentChild, filesConfig, loopback, startAgentChild } from './helpers/mailstack-agent.ts';

const MB = 1024 * 1024;
const CLIENTS = 8;
const MESSAGE_BYTES = 32 * MB;

let dir: TempDir | undefined;
let mda: AgentChild | undefined;
afterEach(async () => {
  await mda?.stop();
  mda = undefined;
  await dir?.cleanup();
  dir = undefined;
});

function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
}

/** Reads SMTP-style replies off a socket, one complete line at a time. */
function replyReader(socket: Socket): () => Promise<string> {
  let buffered = '';
  const waiting: Array<() => void> = [];
  socket.setEncoding('latin1').on('data', (d: string) => {
    buffered += d;
    for (const w of waiting.splice(0)) w();
  });
  return async () => {
    for (;;) {
      const m = /^(\d{3}) [^\n]*\r\n/m.exec(buffered);
      if (m) {
        buffered = buffered.slice(m.index + m[0].length);
        return m[0].trim();
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
}

/** One LMTP transaction with a body of `bytes` written in chunks as fast as the server takes them. */
async function sendBig(port: number, tag: string, bytes: number): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  const next = replyReader(socket);
  const write = (s: string | Buffer) =>
    new Promise<void>((resolve, reject) => socket.write(s, (err) => (err ? reject(err) : resolve())));
  try {
    await next(); // 220
    for (const line of ['LHLO client.test', 'MAIL FROM:<s@remote.test>', 'RCPT TO:<alice@example.test>']) {
      await write(`${line}\r\n`);
      while (!/^\d{3} /.test(await next()));
    }
    await write('DATA\r\n');
    await next(); // 354
    await write(`Subject: ${tag}\r\nMessage-ID: <${tag}@remote.test>\r\n\r\n`);
    const line = `${'y'.repeat(1022)}\r\n`;
    const chunk = Buffer.from(line.repeat(64));
    for (let sent = 0; sent < bytes; sent += chunk.length) await write(chunk);
    await write('.\r\n');
    return await next();
  } finally {
    socket.destroy();
  }
}

describe('LMTP DATA memory', () => {
  it(`${CLIENTS} messages of ${MESSAGE_BYTES / MB} MB at once: peak RSS grows by far less than their size`, async () => {
    dir = await tempDir('mailstack-mda-memory-');
    const directoryFile = join(dir.path, 'directory.json');
    await writeDirectoryFile(directoryFile);
    const data = join(dir.path, 'data');
    mda = await startAgentChild('mda', {
      ...filesConfig({ directory: directoryFile, mail: data }),
      listeners: [loopback('mda', 'none')],
      limits: { messageSize: '48M' },
    });
    // Warm up (modules loaded, first Maildir made) before the baseline.
    expect(await sendBig(mda.port, 'warm', 64 * 1024)).toMatch(/^250 /);
    const before = peakRss(mda.child.pid!);

    const replies = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) => sendBig(mda!.port, `big${i}`, MESSAGE_BYTES)),
    );
    expect(replies.every((r) => r.startsWith('250 '))).toBe(true);
    const growth = peakRss(mda.child.pid!) - before;
    // Buffering holds all of them (256 MB) at least once, twice while concatenating; streaming
    // holds a few buffers per connection plus the garbage V8 lets pile up before it collects
    // (about 70-75 MB here whatever the number or size of the messages).
    expect(growth, `peak RSS growth ${(growth / MB).toFixed(1)} MB`).toBeLessThan(
      (CLIENTS * MESSAGE_BYTES) / 2,
    );

    const folder = await storeFor(data, memoryDirectory({ users: {} })).openFolder(
      'alice@example.test',
      'INBOX',
    );
    const sizes = folder.messages().map((m) => m.size);
    await folder.close();
    expect(sizes).toHaveLength(CLIENTS + 1);
    expect(sizes.filter((s) => s > MESSAGE_BYTES)).toHaveLength(CLIENTS);
  });
});

import type { Envelope, MessageBlob, Recipient } from '@mailstack/core';
import { readAll } from '@mailstack/core';

export { tempDir } from '@mailstack/testkit';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A clock the test moves by hand: the spool never waits on real time. */
export function manualClock(start = Date.UTC(2026, 0, 5, 9, 0, 0)) {
  let now = start;
  return {
    now: () => now,
    date: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
    set(ms: number) {
      now = ms;
    },
  };
}

export function envelope(rcpts: (string | Recipient)[], mailFrom = 'sender@example.test'): Envelope {
  return {
    mailFrom,
    rcptTo: rcpts.map((r) => (typeof r === 'string' ? { address: r } : r)),
    params: { body: '8BITMIME', envId: 'env-1', ret: 'HDRS' },
    receivedFrom: { helo: 'client.example.test', address: '127.0.0.1', protocol: 'ESMTPSA', tls: true },
  };
}

/** A message whose bytes depend only on `n`, so a reader can check it byte for byte. */
export function messageBytes(n: number, size = 512): Buffer {
  const head = Buffer.from(`From: a@example.test\r\nSubject: message ${n}\r\n\r\n`);
  const body = Buffer.alloc(Math.max(0, size - head.length));
  for (let i = 0; i < body.length; i++) body[i] = i % 78 === 77 ? 10 : 33 + ((n * 7 + i) % 90);
  return Buffer.concat([head, body]);
}

export async function blobBytes(blob: MessageBlob): Promise<Buffer> {
  return readAll(blob.open());
}

export const reply = (code: number, text = 'x') => ({
  code,
  enhanced: `${String(code)[0]}.0.0`,
  text,
});

/** Sizes of the crash test's messages: from a few hundred bytes to about 200 KB. */
export const burstSize = (n: number) => 200 + ((n * 7919) % 200_000);

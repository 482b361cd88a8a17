import { describe, expect, it } from 'vitest';
import {
  bufferBlob,
  formatReply,
  isLoopback,
  isValidMailbox,
  readAll,
  replyFromError,
  SmtpError,
  splitAddress,
} from '../src/index.ts';

describe('SmtpError', () => {
  it('carries the reply and knows 4xx from 5xx', () => {
    const e = new SmtpError(452, '4.2.2', 'Mailbox full');
    expect(e.temporary).toBe(true);
    expect(new SmtpError(550, '5.1.1', 'No such user').temporary).toBe(false);
    expect(formatReply(e.reply)).toBe('452 4.2.2 Mailbox full');
    expect(replyFromError(e)).toEqual({ code: 452, enhanced: '4.2.2', text: 'Mailbox full' });
    expect(replyFromError(new Error('boom')).code).toBe(451);
  });
});

describe('bufferBlob', () => {
  it('re-opens from byte 0 every time', async () => {
    const blob = bufferBlob('Subject: x\r\n\r\nhi\r\n');
    expect(blob.size).toBe(18);
    expect((await readAll(blob.open())).toString()).toBe('Subject: x\r\n\r\nhi\r\n');
    expect((await readAll(blob.open())).length).toBe(18);
  });
});

describe('addresses', () => {
  it('splits at the last @ and lower-cases the domain', () => {
    expect(splitAddress('"a@b"@Example.TEST')).toEqual({ local: '"a@b"', domain: 'example.test' });
    expect(splitAddress('nodomain')).toBeNull();
  });
  it('accepts real mailboxes and refuses broken ones', () => {
    for (const ok of [
      'alice@example.test',
      'a.b+c@x.y',
      'δοκιμή@παράδειγμα.δοκιμή',
      '"sp ace"@x.test',
      'u@[127.0.0.1]',
    ])
      expect(isValidMailbox(ok), ok).toBe(true);
    for (const bad of ['', 'a@', '@b', 'a b@x.test', 'a..b@x.test', 'a@-x.test', 'a@x\r\n.test', 'a@x..test'])
      expect(isValidMailbox(bad), bad).toBe(false);
  });
});

describe('isLoopback', () => {
  it('knows 127.0.0.0/8 and ::1 in every spelling, and nothing else', () => {
    for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])
      expect(isLoopback(ip), ip).toBe(true);
    for (const ip of [
      undefined,
      '',
      '10.0.0.1',
      '128.0.0.1',
      '::2',
      '::ffff:10.0.0.1',
      '1127.0.0.1',
      '127.0.0.1.example',
    ])
      expect(isLoopback(ip), String(ip)).toBe(false);
  });
});

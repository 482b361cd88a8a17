import { Readable } from 'node:stream';
import { readAll, SmtpError } from '@mailstack/core';
import { describe, expect, it } from 'vitest';
import { headSectionEnd, splitHead, withHead } from '../src/index.ts';

const chunked = (text: string, size: number) => {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
};

describe('splitHead and withHead', () => {
  it.each([1, 3, 7, 4096])(
    'hold only the header section and pass the rest through (chunks of %i)',
    async (size) => {
      const { head, rest } = await splitHead(chunked('A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore\r\n', size));
      expect(head.toString()).toBe('A: 1\r\nB: 2\r\n');
      const r = withHead(Buffer.concat([Buffer.from('X: 0\r\n'), head]), rest);
      expect((await readAll(r.stream)).toString()).toBe('X: 0\r\nA: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore\r\n');
      expect(r.failure()).toBeUndefined();
      expect(r.size()).toBe('X: 0\r\nA: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore\r\n'.length);
    },
  );

  it('handle a message that is all header, and one without header fields', async () => {
    const all = await splitHead(chunked('A: 1\r\n', 2));
    expect(all.head.toString()).toBe('A: 1\r\n');
    expect((await readAll(all.rest)).length).toBe(0);
    const none = await splitHead(chunked('\r\nbody\r\n', 2));
    expect(none.head.length).toBe(0);
    expect((await readAll(none.rest)).toString()).toBe('\r\nbody\r\n');
    expect(headSectionEnd(Buffer.from('A: 1\r\nB'))).toBe(-1);
  });

  it('report a failure of the source as theirs, with its SmtpError', async () => {
    async function* failing() {
      yield Buffer.from('A: 1\r\n\r\nbody');
      throw new SmtpError(550, '5.6.0', 'bare');
    }
    const { head, rest } = await splitHead(Readable.from(failing()));
    const r = withHead(head, rest);
    await expect(readAll(r.stream)).rejects.toMatchObject({ code: 550 });
    expect(r.failure()).toBeInstanceOf(SmtpError);
  });

  it('refuse a header section over the limit with 552 5.3.4', async () => {
    const long = `A: ${'x'.repeat(100)}\r\n`.repeat(10);
    await expect(splitHead(chunked(long, 50), { maxHeadBytes: 500 })).rejects.toMatchObject({
      code: 552,
      enhanced: '5.3.4',
    });
    // or, for a relay, pass on what was read as the head and the rest as body
    const passed = await splitHead(chunked(long, 50), { maxHeadBytes: 500, overflow: 'pass' });
    expect(passed.head.length).toBeGreaterThan(500);
    expect(passed.head.length).toBeLessThan(600);
    expect(Buffer.concat([passed.head, await readAll(passed.rest)]).toString()).toBe(long);
  });
});

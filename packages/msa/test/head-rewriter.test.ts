import { Readable } from 'node:stream';
import { readAll, SmtpError } from '@mailstack/core';
import { describe, expect, it } from 'vitest';
import { rewriteHead } from '../src/head-rewriter.ts';

const chunked = (text: string, size: number) => {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
};

describe('rewriteHead', () => {
  it.each([1, 3, 7, 4096])(
    'replaces the header section and passes the body through (chunks of %i)',
    async (size) => {
      const seen: string[] = [];
      const r = rewriteHead(
        chunked('A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore\r\n', size),
        async (head, bytes) => {
          seen.push(...head.fields.map((f) => f.name));
          return Buffer.concat([Buffer.from('X: 0\r\n'), bytes]);
        },
      );
      expect((await readAll(r.stream)).toString()).toBe('X: 0\r\nA: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore\r\n');
      expect(seen).toEqual(['a', 'b']);
      expect(r.failure()).toBeUndefined();
    },
  );

  it('handles a message that is all header, and one without header fields', async () => {
    const prefix = async (_h: unknown, bytes: Buffer) => Buffer.concat([Buffer.from('X: 0\r\n'), bytes]);
    expect((await readAll(rewriteHead(chunked('A: 1\r\n', 2), prefix).stream)).toString()).toBe(
      'X: 0\r\nA: 1\r\n',
    );
    expect((await readAll(rewriteHead(chunked('\r\nbody\r\n', 2), prefix).stream)).toString()).toBe(
      'X: 0\r\n\r\nbody\r\n',
    );
  });

  it('fails the stream with the refusal and reports it as its own failure', async () => {
    const r = rewriteHead(chunked('A: 1\r\n\r\nbody\r\n', 4), async () => {
      throw new SmtpError(553, '5.7.1', 'no');
    });
    await expect(readAll(r.stream)).rejects.toMatchObject({ code: 553 });
    expect(r.failure()).toBeInstanceOf(SmtpError);
  });

  it('refuses a header section over the limit with 552 5.3.4', async () => {
    const r = rewriteHead(chunked(`A: ${'x'.repeat(100)}\r\n`.repeat(10), 50), async (_h, b) => b, 500);
    await expect(readAll(r.stream)).rejects.toMatchObject({ code: 552, enhanced: '5.3.4' });
  });
});

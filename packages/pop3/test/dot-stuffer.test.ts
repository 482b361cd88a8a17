import { describe, expect, it } from 'vitest';
import { DotStuffer } from '../src/dot-stuffer.ts';

/** Feeds `message` in chunks of `size` bytes and returns the whole encoded answer. */
function encode(message: string, size: number, bodyLines?: number): string {
  const s = new DotStuffer(bodyLines);
  const src = Buffer.from(message);
  const out: Buffer[] = [];
  for (let i = 0; i < src.length && !s.done; i += size) out.push(s.feed(src.subarray(i, i + size)));
  out.push(s.finish());
  return Buffer.concat(out).toString();
}

const MSG = 'Subject: x\r\nX: y\r\n\r\n.first\r\nplain\r\n..two\r\nlast\r\n';

describe('DotStuffer', () => {
  for (const size of [1, 2, 3, 7, 1000]) {
    it(`stuffs leading dots and terminates (chunks of ${size})`, () => {
      expect(encode(MSG, size)).toBe('Subject: x\r\nX: y\r\n\r\n..first\r\nplain\r\n...two\r\nlast\r\n.\r\n');
    });
    it(`TOP keeps the header, the blank line and n body lines (chunks of ${size})`, () => {
      expect(encode(MSG, size, 0)).toBe('Subject: x\r\nX: y\r\n\r\n.\r\n');
      expect(encode(MSG, size, 2)).toBe('Subject: x\r\nX: y\r\n\r\n..first\r\nplain\r\n.\r\n');
      expect(encode(MSG, size, 99)).toBe(encode(MSG, size));
    });
  }

  it('adds the missing final CRLF and handles a dot on the very first line', () => {
    expect(encode('.a\r\nb', 1000)).toBe('..a\r\nb\r\n.\r\n');
    expect(encode('', 1000)).toBe('.\r\n');
  });

  it('reports done once the TOP limit is reached so the rest need not be read', () => {
    const s = new DotStuffer(1);
    s.feed(Buffer.from('A: b\r\n\r\nline1\r\n'));
    expect(s.done).toBe(true);
    expect(s.feed(Buffer.from('line2\r\n')).length).toBe(0);
  });

  it('a header without a blank line is passed whole by TOP', () => {
    expect(encode('A: b\r\nC: d\r\n', 4, 0)).toBe('A: b\r\nC: d\r\n.\r\n');
  });
});

import { describe, expect, it } from 'vitest';
import type { MimePart } from '../src/index.ts';
import { summarizeBuffer } from '../src/mime/index.ts';

/**
 * Dovecot's own message-parser expectations (physical sizes of LF-only input, from its
 * test-message-parser.c), turned into wire offsets: every LF before a position adds one CR.
 * Each tuple: [physicalPos, headerVirtualSize, bodyVirtualSize, bodyLines, children].
 */
type Expect = [number, number, number, number, Expect[]?];

function check(input: string, part: MimePart, e: Expect): void {
  const lfBefore = (pos: number) => input.slice(0, pos).replaceAll('\r\n', '').split('\n').length - 1;
  const [pos, hdr, body, lines, children] = e;
  const start = pos + lfBefore(pos);
  expect({ h: part.headerStart, b: part.bodyStart, e: part.bodyEnd, l: part.bodyLines }).toEqual({
    h: start,
    b: start + hdr,
    e: start + hdr + body,
    l: lines,
  });
  if (children !== undefined) {
    const got = part.parts ?? (part.message ? [part.message.body] : []);
    expect(got.length).toBe(children.length);
    for (const [i, c] of children.entries()) check(input, got[i]!, c);
  }
}

function run(input: string, e: Expect, limits?: { maxParts?: number; maxDepth?: number }): MimePart {
  const s = summarizeBuffer(Buffer.from(input, 'latin1'), limits).structure;
  check(input, s, e);
  return s;
}

describe('summarize matches Dovecot message-parser vectors', () => {
  it('truncated MIME headers', () => {
    const m =
      'Content-Type: multipart/mixed; boundary=":foo"\n\n--:foo\n--:foo\nContent-Type: text/plain\n--:foo\n' +
      'Content-Type: text/plain\r\n--:foo\nContent-Type: text/html\n--:foo--\n';
    const s = run(m, [
      0,
      50,
      119,
      8,
      [
        [55, 0, 0, 0],
        [62, 24, 0, 0],
        [94, 24, 0, 0],
        [127, 23, 0, 0],
      ],
    ]);
    expect(s.parts!.map((p) => p.subtype)).toEqual(['plain', 'plain', 'plain', 'html']);
  });

  it('truncated MIME headers 2 (blank line before a boundary goes to the boundary)', () => {
    const m =
      'Content-Type: multipart/mixed; boundary="ab"\n\n--ab\nContent-Type: multipart/mixed; boundary="a"\n\n' +
      '--ab\nContent-Type: text/plain\n\n--a\n\n';
    const s = run(m, [
      0,
      48,
      94,
      8,
      [
        [51, 45, 0, 0],
        [101, 28, 7, 2],
      ],
    ]);
    // A multipart without parts gets Dovecot's single empty text/plain part.
    expect(s.parts![0]!.parts).toEqual([
      expect.objectContaining({ type: 'text', subtype: 'plain', bodyStart: 99, bodyEnd: 99 }),
    ]);
  });

  it('truncated MIME headers 3 and empty multipart', () => {
    run('Content-Type: multipart/mixed; boundary="ab"\n', [0, 46, 0, 0]);
    run('Content-Type: multipart/mixed; boundary="ab"\n\nbody\n', [0, 48, 6, 1]);
  });

  it('duplicate and garbage-suffixed boundaries', () => {
    run(
      'Content-Type: multipart/mixed; boundary="a"\n\n--a\nContent-Type: multipart/mixed; boundary="a"\n\n' +
        '--a\nContent-Type: text/plain\n\nbody\n',
      [0, 47, 91, 7, [[49, 47, 39, 4, [[98, 28, 6, 1]]]]],
    );
    run(
      'Content-Type: multipart/mixed; boundary="a"\n\n--ab\nContent-Type: multipart/mixed; boundary="a"\n\n' +
        '--ac\nContent-Type: text/plain\n\nbody\n',
      [0, 47, 93, 7, [[50, 47, 40, 4, [[100, 28, 6, 1]]]]],
    );
  });

  it('continuing boundaries (longest prefix wins)', () => {
    run(
      'Content-Type: multipart/mixed; boundary="a"\n\n--a\nContent-Type: multipart/mixed; boundary="ab"\n\n' +
        '--ab\nContent-Type: text/plain\n\nbody\n',
      [0, 47, 93, 7, [[49, 48, 40, 4, [[100, 28, 6, 1]]]]],
    );
    run(
      'Content-Type: multipart/mixed; boundary="ab"\n\n--ab\nContent-Type: multipart/mixed; boundary="a"\n\n' +
        '--a\nContent-Type: text/plain\n\nbody\n--ab\nContent-Type: text/html\n\nbody2\n',
      [
        0,
        48,
        132,
        11,
        [
          [51, 47, 37, 3, [[100, 28, 4, 0]]],
          [136, 27, 7, 1],
        ],
      ],
    );
  });

  it('continuing truncated boundary', () => {
    run(
      'Content-Type: multipart/mixed; boundary="a"\n\n--a\nContent-Type: multipart/mixed; boundary="ab"\n' +
        'MIME-Version: 1.0\n--ab\nContent-Type: text/plain\n\n--ab--\n--a--\n\n',
      [
        0,
        47,
        121,
        9,
        [
          [49, 63, 0, 0],
          [117, 26, 0, 0],
          [150, 0, 0, 0],
        ],
      ],
    );
  });

  it('long boundaries are cut to 80 bytes', () => {
    const b82 = '1234567890123456789012345678901234567890123456789012345678901234567890123456789012';
    const b81 = b82.slice(0, 81);
    const b80 = b82.slice(0, 80);
    const m =
      `Content-Type: multipart/mixed; boundary="${b82}"\n\n--${b82}\n` +
      `Content-Type: multipart/mixed; boundary="${b81}"\n\n--${b81}\n` +
      `Content-Type: multipart/mixed; boundary="${b80}"\n\n--${b80}\n` +
      `Content-Type: text/plain\n\n1\n--${b82}\nContent-Type: text/plain\n\n22\n--${b81}\n` +
      `Content-Type: text/plain\n\n333\n--${b80}\nContent-Type: text/plain\n\n4444\n`;
    const s = summarizeBuffer(Buffer.from(m)).structure;
    const inner = s.parts![0]!.parts![0]!;
    expect(inner.parts!.length).toBe(4);
    expect(inner.parts!.slice(0, 3).map((p) => [p.bodyEnd - p.bodyStart, p.bodyLines])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    expect([s.bodyEnd - s.bodyStart, s.bodyLines]).toEqual([871 + 22, 22]);
  });

  it('part count limit stops boundary detection', () => {
    const m =
      'Content-Type: multipart/mixed; boundary="1"\n\n--1\nContent-Type: multipart/mixed; boundary="2"\n\n' +
      '--2\nContent-Type: text/plain\n\n1\n--2\nContent-Type: text/plain\n\n22\n--1\nContent-Type: text/plain\n\n333\n';
    run(
      m,
      [
        0,
        47,
        163,
        15,
        [
          [
            49,
            47,
            111,
            12,
            [
              [98, 28, 1, 0],
              [130, 28, 42, 5],
            ],
          ],
        ],
      ],
      { maxParts: 4 },
    );
    // Nesting limit: the inner multipart becomes an opaque leaf.
    const s = run(
      m,
      [
        0,
        47,
        163,
        15,
        [
          [49, 47, 71, 7],
          [163, 28, 5, 1],
        ],
      ],
      { maxDepth: 2 },
    );
    expect(s.parts![0]!.parts).toBeUndefined();
    expect(s.parts![0]!.type).toBe('multipart');
  });

  it('nesting limit for message/rfc822', () => {
    const m =
      'Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nContent-Type: text/plain\n\n1\n';
    const s = run(m, [0, 32, 63, 5, [[30, 32, 31, 3]]], { maxDepth: 2 });
    expect(s.message!.body.message).toBeUndefined();
  });

  it('header without end of header', () => {
    const s = summarizeBuffer(Buffer.from('a:b\n'));
    expect(s.structure).toMatchObject({ headerStart: 0, bodyStart: 5, bodyEnd: 5, bodyLines: 0 });
  });
});

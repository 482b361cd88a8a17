import { Readable } from 'node:stream';
import { readAll } from '@mailstack/core';
import { describe, expect, it } from 'vitest';
import { lfToCrlf, ToCrlf, ToLf, wireSizeOf } from '../src/crlf.ts';

function chunks(s: string, size: number): Buffer[] {
  const b = Buffer.from(s, 'latin1');
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

async function through(t: NodeJS.ReadWriteStream, parts: Buffer[]): Promise<string> {
  return (await readAll(Readable.from(parts).pipe(t))).toString('latin1');
}

const WIRE = 'A: b\r\n\r\nline\r\nbare\rcr\r\nend\r\n';

describe('line-end conversion', () => {
  it.each([1, 2, 3, 7, 1000])('CRLF → LF with chunks of %i bytes, counting sizes', async (size) => {
    const t = new ToLf();
    const stored = await through(t, chunks(WIRE, size));
    expect(stored).toBe('A: b\n\nline\nbare\rcr\nend\n');
    expect(t.size).toBe(stored.length);
    expect(t.wireSize).toBe(WIRE.length);
  });

  it('keeps a lone CR at the very end', async () => {
    const t = new ToLf();
    expect(await through(t, chunks('x\r', 1))).toBe('x\r');
    expect(t.wireSize).toBe(2);
  });

  it.each([1, 2, 5, 1000])('LF → CRLF without doubling existing CRLF (chunks of %i)', async (size) => {
    const mixed = 'A: b\n\r\nline\nbare\rcr\r\nend\n';
    expect(await through(new ToCrlf(), chunks(mixed, size))).toBe('A: b\r\n\r\nline\r\nbare\rcr\r\nend\r\n');
    expect(wireSizeOf(Buffer.from(mixed, 'latin1'))).toBe(WIRE.length);
  });

  it('serves wire-form ranges', async () => {
    const stored = 'A: b\n\nline\nbare\rcr\nend\n';
    for (const [start, end] of [
      [0, 5],
      [4, 9],
      [5, undefined],
      [WIRE.length - 1, undefined],
      [3, 3],
    ] as Array<[number, number | undefined]>) {
      const got = await through(
        new ToCrlf({ start, ...(end === undefined ? {} : { end }) }),
        chunks(stored, 3),
      );
      expect(got).toBe(WIRE.slice(start, end));
    }
  });
});

describe('lfToCrlf', () => {
  it('adds CR only before bare LFs, also across a chunk edge', () => {
    expect(lfToCrlf(Buffer.from('a\nb\r\nc\n\n'), 0).toString()).toBe('a\r\nb\r\nc\r\n\r\n');
    expect(lfToCrlf(Buffer.from('\nx'), 13).toString()).toBe('\nx');
    expect(lfToCrlf(Buffer.from('\nx'), 0).toString()).toBe('\r\nx');
    const plain = Buffer.from('no line end');
    expect(lfToCrlf(plain, 0)).toBe(plain);
    expect(wireSizeOf(Buffer.from('a\nb\r\n\r'))).toBe(7);
  });
});

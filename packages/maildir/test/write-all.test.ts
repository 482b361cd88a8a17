import type { FileHandle } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { appendWhole, writeAll } from '../src/write-all.ts';

/** A file handle whose write(2) takes at most `max` bytes per call, then fails once full. */
function shortWriter(max: number, capacity = Number.POSITIVE_INFINITY) {
  const file: number[] = [];
  const fh = {
    async write(buf: Buffer, off: number, len: number) {
      if (file.length >= capacity)
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      const n = Math.min(len, max, capacity - file.length);
      for (let i = 0; i < n; i++) file.push(buf[off + i]!);
      return { bytesWritten: n, buffer: buf };
    },
    async stat() {
      return { size: file.length };
    },
    async truncate(size: number) {
      file.length = size;
    },
  };
  return { fh: fh as unknown as FileHandle, file };
}

describe('writeAll', () => {
  it('keeps writing after a short write until every byte is out', async () => {
    const { fh, file } = shortWriter(7);
    await writeAll(fh, Buffer.from('a message that takes several writes'));
    expect(Buffer.from(file).toString()).toBe('a message that takes several writes');
  });

  it('throws when the disk fills part-way instead of reporting success', async () => {
    const { fh, file } = shortWriter(1000, 10);
    await expect(writeAll(fh, Buffer.alloc(100, 0x61))).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(file).toHaveLength(10);
  });

  it('appendWhole cuts a failed append back, so the next line does not join a torn one', async () => {
    const { fh, file } = shortWriter(1000, 12);
    await appendWhole(fh, '1 :first\n');
    await expect(appendWhole(fh, '2 :second\n')).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(Buffer.from(file).toString()).toBe('1 :first\n');
  });
});

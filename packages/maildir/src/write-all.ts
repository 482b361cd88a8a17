import type { FileHandle } from 'node:fs/promises';
import { isNoSpace } from '@mailstack/core';

/**
 * Writes every byte or throws. write(2) may write fewer bytes than asked when the disk fills
 * (the next call then fails with ENOSPC); FileHandle.write() reports that count instead of
 * retrying, so a caller that ignores it stores a truncated file and thinks it succeeded.
 */
export async function writeAll(fh: FileHandle, data: Buffer | string): Promise<void> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    off += bytesWritten;
  }
}

/**
 * Appends to a file whose last line must stay whole (dovecot-uidlist, maildirsize): a write
 * that fails half-way is cut back to where it started, so the next append does not glue its
 * line onto a torn one. Callers hold the file's lock, or accept a torn line being skipped.
 */
export async function appendWhole(fh: FileHandle, data: Buffer | string): Promise<void> {
  const start = (await fh.stat()).size;
  try {
    await writeAll(fh, data);
  } catch (err) {
    await fh.truncate(start).catch(() => {});
    throw err;
  }
}

/**
 * For writes that only save work (caches, tidying): a full disk skips them, anything else
 * is still an error. Opening a folder, fetching and expunging must keep working on a full
 * disk, since that is how a user makes room.
 */
export function skipWhenFull(err: unknown): void {
  if (!isNoSpace(err)) throw err;
}

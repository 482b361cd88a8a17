/**
 * DATA streamed once into a temp file, then read from it for every recipient: per-message
 * memory stays the size of a few stream buffers whatever the message size (40 clients
 * sending 24 MB at once took the buffering server to 1.6 GB).
 *
 * One file serves all recipients because every copy differs in its first bytes (each gets
 * its own Return-Path and Delivered-To), so no recipient's Maildir file can be a hard link of
 * another's: each copy is written by streaming the trace headers, then this file. The file
 * is unlinked as soon as it is open, so a killed process leaves nothing to sweep.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { asNoSpace, type MessageBlob } from '@mailstack/core';

export interface SpooledMessage {
  blob: MessageBlob;
  /** The message from byte `start` on (the LDA drops an mbox `From ` line this way). */
  slice(start: number): MessageBlob;
  /** The first bytes (up to 64 KiB), for the Message-ID in the log. */
  head: Buffer;
  close(): Promise<void>;
}

const HEAD_BYTES = 64 * 1024;
const READ_CHUNK = 64 * 1024;

/**
 * Plain reads and writes on the handle, no fs streams over it: a stream left open holds a
 * reference that makes close() wait forever, and a destroyed one closes the handle under
 * the other readers.
 */
export async function spoolMessage(
  source: AsyncIterable<Buffer | string>,
  dir: string,
): Promise<SpooledMessage> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `lmtp.${process.pid}.${randomBytes(8).toString('hex')}`);
  const fh = await open(path, 'wx+', 0o600);
  try {
    await unlink(path);
    const size = await writeBody(fh, source);
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    await fh.read(head, 0, head.length, 0);
    const slice = (start: number): MessageBlob => ({
      size: size - start,
      open: () => Readable.from(readBody(fh, start, size), { objectMode: false }),
    });
    return { head, blob: slice(0), slice, close: () => fh.close() };
  } catch (err) {
    await fh.close().catch(() => {});
    throw asNoSpace(err);
  }
}

/** Pulls the next chunk only once the previous one is written: a slow disk slows the client. */
async function writeBody(fh: FileHandle, source: AsyncIterable<Buffer | string>): Promise<number> {
  let size = 0;
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    // writeFile loops until every byte is written (a bare write() may write fewer on a filling disk).
    await fh.writeFile(buf);
    size += buf.length;
  }
  return size;
}

/** Positional reads: several readers of one handle do not disturb each other. */
async function* readBody(fh: FileHandle, start: number, size: number): AsyncGenerator<Buffer> {
  for (let pos = start; pos < size; ) {
    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - pos));
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) return;
    pos += bytesRead;
    yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
  }
}

import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type MessageBlob, SmtpError } from '@mailstack/core';
import { withHead } from '@mailstack/smtp';

/** A received message on disk while its verdicts are worked out; gone after `remove()`. */
export interface StagedMessage extends MessageBlob {
  /** The bytes from `offset` on (the body after the header section, for the spool). */
  openFrom(offset: number): Readable;
  remove(): Promise<void>;
}

/**
 * Writes a message (its header section already read, the rest still in the client's socket)
 * to a file of its own in `dir`, so DKIM/DMARC and content checks can read it whole from disk
 * before our own header fields, which carry their verdicts, go on top of it in the spool.
 * Memory stays a stream buffer whatever the size. The source's refusal (size, NUL, bare line
 * end) is thrown as it is; a disk failure is a 451.
 */
export async function stageMessage(dir: string, head: Buffer, rest: Readable): Promise<StagedMessage> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `inbound-${process.pid}-${randomBytes(8).toString('hex')}.eml`);
  const source = withHead(head, rest);
  const remove = () => unlink(path).catch(() => {});
  try {
    await pipeline(source.stream, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch {
    await remove();
    const refusal = source.failure();
    if (refusal instanceof SmtpError) throw refusal;
    throw new SmtpError(451, '4.3.0', 'Could not stage the message, try again later');
  }
  const { size } = await stat(path);
  return {
    size,
    open: () => createReadStream(path),
    openFrom: (offset) => createReadStream(path, { start: offset }),
    remove,
  };
}

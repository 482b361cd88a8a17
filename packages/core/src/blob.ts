import { Readable } from 'node:stream';

/**
 * An immutable message body that can be read again from byte 0 as often as needed.
 * Each hop (queue, LMTP, store) may read it more than once: to retry, to deliver to the
 * next recipient, to compute a checksum.
 */
export interface MessageBlob {
  /** Content id when the blob lives in a store; absent for transient blobs. */
  readonly id?: string;
  readonly size: number;
  open(): Readable;
}

/** A blob over bytes already in memory. */
export function bufferBlob(bytes: Buffer | string, id?: string): MessageBlob {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return {
    ...(id === undefined ? {} : { id }),
    size: buf.length,
    open: () => Readable.from([buf], { objectMode: false }),
  };
}

/** Reads a whole stream into one Buffer; callers bound the size themselves. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

import { Readable } from 'node:stream';

/** Collects a (small) stream: header bytes for HEADER.FIELDS, messages for SEARCH. */
export async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(parts);
}

/**
 * Waits for the first chunk before the literal's `{n}` goes out: a message that vanished
 * (expunged by another process) fails here, where the command can still answer cleanly,
 * instead of in the middle of a literal, where only closing the connection is left.
 */
export async function primed(stream: Readable): Promise<Readable> {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first: IteratorResult<Buffer>;
  try {
    first = await chunks.next();
  } catch (err) {
    stream.destroy();
    throw err;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (first.done) return;
      yield first.value;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      stream.destroy();
    }
  }
  return Readable.from(rest(), { objectMode: false });
}

import { Readable } from 'node:stream';
import { SmtpError } from '@mailstack/core';

/** A header section larger than this is refused rather than held in memory. */
export const MAX_HEAD_BYTES = 1024 * 1024;

/**
 * Offset just past the CRLF of the header section's last field: 0 when the message opens with
 * the blank line, -1 while the blank line has not arrived. DATA reaches the agents with bare
 * CR/LF refused (guardData), so CRLF is the only line end there is to find. `searchFrom`: bytes
 * before it are known to hold no blank line (a caller that appends chunks rescans only the seam).
 */
export function headSectionEnd(bytes: Buffer, searchFrom = 0): number {
  if (bytes[0] === 0x0d && bytes[1] === 0x0a) return 0;
  const blank = bytes.indexOf('\r\n\r\n', searchFrom);
  return blank < 0 ? -1 : blank + 2;
}

export interface SplitMessage {
  /** The header fields, each with its CRLF; the blank line is the first bytes of `rest`. */
  head: Buffer;
  /** Everything after `head`, streamed from the source as the consumer reads it. */
  rest: Readable;
}

export interface SplitHeadOptions {
  /** Default MAX_HEAD_BYTES. */
  maxHeadBytes?: number;
  /**
   * Past `maxHeadBytes` without the blank line: 'refuse' with `552 5.3.4` (default; the MSA
   * cannot check senders in a head it has not seen), or 'pass' what was read as the head and
   * the rest as body, as Postfix does past header_size_limit (a relay need not refuse it).
   */
  overflow?: 'refuse' | 'pass';
}

/**
 * Reads a message's header section and no more (at most `maxHeadBytes`), so an agent can
 * check and rewrite it while the body stays in the client's socket until the spool reads it:
 * memory per message stays the size of a header section. A failure of the source (size, NUL,
 * bare line end) rejects here or fails `rest`.
 */
export async function splitHead(source: Readable, options: SplitHeadOptions = {}): Promise<SplitMessage> {
  const maxHeadBytes = options.maxHeadBytes ?? MAX_HEAD_BYTES;
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let held: Buffer = Buffer.alloc(0);
  for (;;) {
    const next = await chunks.next();
    if (next.done) return { head: held, rest: Readable.from([], { objectMode: false }) };
    const scanned = held.length;
    held = held.length === 0 ? next.value : Buffer.concat([held, next.value]);
    // the blank line may straddle the seam: back up three bytes, not to the start
    const end = headSectionEnd(held, Math.max(0, scanned - 3));
    if (end >= 0) return { head: held.subarray(0, end), rest: restOf(held.subarray(end), chunks) };
    if (held.length > maxHeadBytes) {
      if (options.overflow === 'pass') return { head: held, rest: restOf(Buffer.alloc(0), chunks) };
      throw new SmtpError(552, '5.3.4', `Header section exceeds ${maxHeadBytes} bytes`);
    }
  }
}

function restOf(first: Buffer, chunks: AsyncIterator<Buffer>): Readable {
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    for (;;) {
      const next = await chunks.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return Readable.from(rest(), { objectMode: false });
}

export interface RebuiltMessage {
  stream: Readable;
  /** What made `stream` fail, when it was the source (an SmtpError: size, NUL, bare line end). */
  failure(): unknown;
  /** Bytes streamed so far (the stored size, once the spool has read it all). */
  size(): number;
}

/**
 * The message an agent stores: its new header bytes, then the rest of the source as it comes.
 * `failure()` tells a spool's failure apart from the source's own refusal, which keeps its reply.
 */
export function withHead(head: Buffer, rest: Readable): RebuiltMessage {
  let failure: unknown;
  let size = 0;
  async function* run(): AsyncGenerator<Buffer> {
    size += head.length;
    yield head;
    try {
      for await (const chunk of rest) {
        size += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    } catch (err) {
      failure = err;
      throw err;
    }
  }
  return { stream: Readable.from(run(), { objectMode: false }), failure: () => failure, size: () => size };
}

import { Readable } from 'node:stream';
import { SmtpError } from '@mailstack/core';
import { type MessageHead, readHead } from './message-head.ts';

/** A header section larger than this is refused rather than held in memory. */
export const MAX_HEAD_BYTES = 1024 * 1024;

/**
 * Streams a message through, holding back only its header section: once that is complete,
 * `decide` sees it (and may refuse by throwing) and returns the bytes that replace it; the
 * body then passes through untouched, chunk by chunk. So a 25 MiB submission never sits in
 * memory, and a refusal found in the header stops the spool write before it is published.
 *
 * `failure()` tells the caller whether the stream failed on its own account (a refusal from
 * `decide`, or the size limit of the source) rather than because the consumer gave up.
 */
export function rewriteHead(
  source: Readable,
  decide: (head: MessageHead, headBytes: Buffer) => Promise<Buffer>,
  maxHeadBytes = MAX_HEAD_BYTES,
): { stream: Readable; failure(): unknown } {
  let failure: unknown;
  async function* run(): AsyncGenerator<Buffer> {
    let held: Buffer[] = [];
    let heldBytes = 0;
    let passing = false;
    const release = async function* (all: Buffer): AsyncGenerator<Buffer> {
      const head = readHead(all);
      yield await decide(head, all.subarray(0, head.end));
      if (head.end < all.length) yield all.subarray(head.end);
    };
    try {
      for await (const chunk of source) {
        const bytes = chunk as Buffer;
        if (passing) {
          yield bytes;
          continue;
        }
        held.push(bytes);
        heldBytes += bytes.length;
        const all = held.length === 1 ? bytes : Buffer.concat(held, heldBytes);
        held = [all];
        if (!headComplete(all)) {
          if (heldBytes > maxHeadBytes) {
            throw new SmtpError(552, '5.3.4', `Header section exceeds ${maxHeadBytes} bytes`);
          }
          continue;
        }
        passing = true;
        held = [];
        yield* release(all);
      }
      // a message that is all header (or empty)
      if (!passing) yield* release(Buffer.concat(held, heldBytes));
    } catch (err) {
      failure = err;
      throw err;
    }
  }
  return { stream: Readable.from(run(), { objectMode: false }), failure: () => failure };
}

/** The blank line that ends the header section has arrived (or there are no fields at all). */
function headComplete(bytes: Buffer): boolean {
  if (bytes[0] === 0x0a || (bytes[0] === 0x0d && bytes[1] === 0x0a)) return true;
  return bytes.indexOf('\r\n\r\n') >= 0 || bytes.indexOf('\n\n') >= 0;
}

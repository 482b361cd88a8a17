import { PassThrough, type Readable } from 'node:stream';
import { SmtpError } from '@mailstack/core';

/**
 * smtp-server keeps streaming DATA past its `size` limit and only flags the stream, so a
 * handler that forgot to check would store an oversized message. This wraps the DATA
 * stream: the consumer's stream fails with `552 5.3.4` as soon as the limit is crossed,
 * while the source is always read to its end (the library sends the reply only then).
 */
export function limitSize(source: Readable, maxBytes: number): Readable {
  const out = new PassThrough();
  // The limit may be crossed before the handler starts reading (it may first open a spool
  // file): without a listener that 'error' would be an uncaught exception. A consumer still
  // sees the error, as for-await and pipeline() report an already-failed stream.
  out.on('error', () => {});
  let bytes = 0;
  let discarding = false;
  const discard = () => {
    discarding = true;
    source.resume();
  };
  source.on('data', (chunk: Buffer) => {
    if (discarding) return;
    bytes += chunk.length;
    if (bytes > maxBytes) {
      out.destroy(new SmtpError(552, '5.3.4', `Message exceeds fixed maximum message size ${maxBytes}`));
      discard();
      return;
    }
    if (!out.write(chunk)) {
      source.pause();
      out.once('drain', () => source.resume());
    }
  });
  source.on('end', () => {
    if (!discarding) out.end();
  });
  source.on('error', (err) => out.destroy(err));
  // the consumer gave up without reading everything: keep draining the client's DATA
  out.on('close', () => {
    if (!source.readableEnded) discard();
  });
  return out;
}

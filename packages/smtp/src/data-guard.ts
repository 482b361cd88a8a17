import { PassThrough, type Readable } from 'node:stream';
import { SmtpError } from '@mailstack/core';
import { LineEndScanner } from './line-end-scan.ts';

export interface DataGuardOptions {
  maxBytes: number;
  /** Refuse a CR or LF outside CRLF (NUL is always refused). */
  refuseBareLineEnds: boolean;
}

/**
 * smtp-server keeps streaming DATA past its `size` limit and only flags the stream, so a
 * handler that forgot to check would store an oversized message. This wraps the DATA
 * stream: the consumer's stream fails with `552 5.3.4` as soon as the limit is crossed, and
 * with `550 5.6.0` at the first NUL (or bare CR/LF, when refused), always before its end, so
 * a spool never commits such a message; meanwhile the source is always read to its end (the
 * library sends the reply only then). Bytes pass through as they come: nothing is held.
 */
export function guardData(source: Readable, options: DataGuardOptions): Readable {
  const { maxBytes } = options;
  const scanner = new LineEndScanner(options.refuseBareLineEnds);
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
  const refuse = (err: Error) => {
    out.destroy(err);
    discard();
  };
  source.on('data', (chunk: Buffer) => {
    if (discarding) return;
    bytes += chunk.length;
    if (bytes > maxBytes) {
      return refuse(new SmtpError(552, '5.3.4', `Message exceeds fixed maximum message size ${maxBytes}`));
    }
    const refusal = scanner.feed(chunk);
    if (refusal) return refuse(refusal);
    if (!out.write(chunk)) {
      source.pause();
      out.once('drain', () => source.resume());
    }
  });
  source.on('end', () => {
    if (discarding) return;
    const refusal = scanner.end();
    if (refusal) out.destroy(refusal);
    else out.end();
  });
  source.on('error', (err) => out.destroy(err));
  // the consumer gave up without reading everything: keep draining the client's DATA
  out.on('close', () => {
    if (!source.readableEnded) discard();
  });
  return out;
}

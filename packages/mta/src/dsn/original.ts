import type { MessageBlob } from '@mailstack/core';

/** The end of the header section: the offset just past the blank line, or -1 when none was seen. */
export function headerEnd(bytes: Buffer): number {
  if (bytes[0] === 0x0a) return 1;
  if (bytes[0] === 0x0d && bytes[1] === 0x0a) return 2;
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  const ends = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((n) => n >= 0);
  return ends.length > 0 ? Math.min(...ends) : -1;
}

/** The header section without its blank line (all of `bytes` when no blank line was seen). */
export function headerSection(bytes: Buffer): Buffer {
  const end = headerEnd(bytes);
  if (end < 0) return bytes;
  let cut = end;
  // Drop the empty line itself, keep the last field's line end.
  if (bytes[cut - 1] === 0x0a) cut--;
  if (bytes[cut - 1] === 0x0d) cut--;
  return bytes.subarray(0, cut);
}

/** Bare LF (and lone CR) become CRLF: an attached original must not mix line ends with the DSN. */
export function toCrlf(bytes: Buffer): Buffer {
  if (bytes.indexOf(0x0a) < 0 && bytes.indexOf(0x0d) < 0) return bytes;
  const text = bytes.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n');
  return Buffer.from(text, 'latin1');
}

/**
 * Reads the original for a report: the whole blob when `full` and it fits in `maxBytes`, else
 * only its header section (at most `maxHeaderBytes`), stopping the read there so a huge message
 * is never loaded just to be cut.
 */
export async function readOriginal(
  blob: MessageBlob,
  options: { full: boolean; maxBytes: number; maxHeaderBytes?: number },
): Promise<Buffer> {
  const wantAll = options.full && blob.size <= options.maxBytes;
  const limit = wantAll ? blob.size : (options.maxHeaderBytes ?? 256 * 1024);
  const chunks: Buffer[] = [];
  let got = 0;
  const stream = blob.open();
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      chunks.push(buf);
      got += buf.length;
      if (got >= limit) break;
      if (!wantAll && headerEnd(Buffer.concat(chunks)) >= 0) break;
    }
  } finally {
    stream.destroy();
  }
  const all = Buffer.concat(chunks);
  return wantAll ? all : headerSection(all.subarray(0, limit));
}

import { Readable } from 'node:stream';
import type { MessageBlob } from '@mailstack/core';

/**
 * The two headers final delivery adds on top of the message (RFC 5321 4.4: Return-Path;
 * Delivered-To as Postfix and Dovecot write it, so loops can be spotted). Written in the
 * message's own line-ending style, so an LF-only message from a pipe stays LF-only.
 */
export function traceHeaders(sender: string, recipient: string, eol: '\r\n' | '\n'): Buffer {
  return Buffer.from(
    `Return-Path: <${oneLine(sender)}>${eol}Delivered-To: ${oneLine(recipient)}${eol}`,
    'utf8',
  );
}

/** Addresses come validated from the protocol layer; this is a last guard against header injection. */
function oneLine(value: string): string {
  return value.replace(/[\r\n\0]/g, '');
}

/** The line ending of the message's first line; CRLF when there is none. */
export async function lineEndingOf(blob: MessageBlob): Promise<'\r\n' | '\n'> {
  const stream = blob.open();
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      head = Buffer.concat([head, chunk as Buffer]);
      const lf = head.indexOf(0x0a);
      if (lf >= 0) return lf > 0 && head[lf - 1] === 0x0d ? '\r\n' : '\n';
      if (head.length > 64 * 1024) break;
    }
  } finally {
    stream.destroy();
  }
  return '\r\n';
}

/** A blob that reads as `prefix` followed by `blob`, without copying the body. */
export function prefixedBlob(prefix: Buffer, blob: MessageBlob): MessageBlob {
  return {
    size: prefix.length + blob.size,
    open: () =>
      Readable.from(
        (async function* () {
          yield prefix;
          yield* blob.open();
        })(),
        { objectMode: false },
      ),
  };
}

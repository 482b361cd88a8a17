/**
 * Mailbox names on the IMAP wire (RFC 3501 5.1.3). The codec is core's, shared with the
 * Maildir store; a client's input is decoded strictly.
 */
import { decodeModifiedUtf7, encodeModifiedUtf7 } from '@mailstack/core';

export const encodeMailboxUtf7 = encodeModifiedUtf7;

/** Modified UTF-7 → UTF-8, or null when a client sent anything but canonical modified UTF-7. */
export function decodeMailboxUtf7(encoded: string): string | null {
  return decodeModifiedUtf7(encoded, { strict: true });
}

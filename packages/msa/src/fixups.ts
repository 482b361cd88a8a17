import { randomBytes } from 'node:crypto';
import { hasField, type MessageHead } from './message-head.ts';
import { rfc5322Date } from './rfc5322-date.ts';

/** A globally unique Message-ID: time and randomness on the left, this host on the right. */
export function newMessageId(hostname: string, now: Date): string {
  return `<${now.getTime().toString(36)}.${randomBytes(9).toString('base64url')}@${hostname}>`;
}

export interface FixupResult {
  /** What replaces the header section: Received, the client's fields as sent, added fields. */
  bytes: Buffer;
  /** The message's Message-ID (added or found), for logs. */
  messageId: string | undefined;
  added: string[];
}

/**
 * RFC 6409 8.2 and 8.3: a submission without Date or Message-ID gets them; plus our Received
 * on top (RFC 5321 4.4). Only whole header fields are added: every byte the client sent
 * stays as it was, in the same order. Takes and returns the header section only.
 */
export function applyFixups(
  headBytes: Buffer,
  head: MessageHead,
  received: string,
  hostname: string,
  now: Date,
): FixupResult {
  const eol = '\r\n';
  const added: string[] = [];
  let extra = '';
  const existing = head.fields.find((f) => f.name === 'message-id')?.value;
  let messageId = existing;
  if (!hasField(head, 'date')) {
    extra += `Date: ${rfc5322Date(now)}${eol}`;
    added.push('Date');
  }
  if (!existing) {
    messageId = newMessageId(hostname, now);
    extra += `Message-ID: ${messageId}${eol}`;
    added.push('Message-ID');
  }
  // a header-only message may lack the final line break before our fields
  const needsBreak = head.end > 0 && extra !== '' && headBytes[headBytes.length - 1] !== 0x0a;
  const bytes = Buffer.concat([
    Buffer.from(received, 'utf8'),
    headBytes,
    Buffer.from(`${needsBreak ? eol : ''}${extra}`, 'utf8'),
  ]);
  return { bytes, messageId, added };
}

import { randomBytes } from 'node:crypto';
import type { Envelope } from '@mailstack/core';
import { base64Lines, field, hasEightBit, oneLine, rfc5322Date } from './header-text.ts';
import { DSN_SUBJECTS, type DsnKind, humanText } from './human-text.ts';
import { headerSection, toCrlf } from './original.ts';
import { type DsnRecipientReport, deliveryStatusBody } from './report-fields.ts';

/** The default cap on a returned original (Postfix's bounce_size_limit is 50 kB; we are kinder). */
export const DEFAULT_MAX_ORIGINAL_BYTES = 1024 * 1024;

export interface DsnInput {
  /** This MTA's host name: Reporting-MTA, and the From (MAILER-DAEMON@host) and Message-ID. */
  reportingMta: string;
  /** The original envelope: its sender gets the DSN; ENVID, RET and SMTPUTF8 shape it. */
  envelope: Envelope;
  /** One per recipient reported on, in order; all go into this one DSN. */
  recipients: DsnRecipientReport[];
  /**
   * The original message: all of its bytes, or at least its header section, and its real size
   * (a `bytes` shorter than `size` can only be returned as a header).
   */
  original: { bytes: Buffer; size: number };
  arrivedAt?: Date;
  /** The DSN's Date (default now). */
  date?: Date;
  messageId?: string;
  /** The MIME boundary (default random); tests pin it. */
  boundary?: string;
  /** Carried as `X-Mailstack-Queue-ID` in the per-message fields, for the operator. */
  queueId?: string;
  /** Send to this address instead of the envelope sender (a postmaster copy). */
  to?: string;
  /** Originals above this size come back as their header only (default 1 MiB). */
  maxOriginalBytes?: number;
  /**
   * What to return. Default: the whole message in a failure report unless RET=HDRS (RFC 3461
   * 4.3: FULL applies to "failed" DSNs), the header otherwise.
   */
  returnContent?: 'full' | 'headers';
}

/** A composed DSN and the envelope to enqueue it with (null sender, to the original sender). */
export interface Dsn {
  kind: DsnKind;
  envelope: Envelope;
  /** The whole message, CRLF line ends. */
  bytes: Buffer;
  messageId: string;
  /** What of the original is attached. */
  returned: 'full' | 'headers';
  /** The whole message was asked for but too large: only the header is attached. */
  truncated: boolean;
  /** message/global-delivery-status and message/global(-headers) were used (RFC 6533). */
  utf8: boolean;
  /** 8bit when the attached original (or UTF-8 text) has 8-bit bytes; sent with BODY=8BITMIME. */
  transferEncoding: '7bit' | '8bit';
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Failure beats delay beats success: one event gives one kind, but a caller may mix. */
function kindOf(recipients: DsnRecipientReport[]): DsnKind {
  if (recipients.some((r) => r.action === 'failed')) return 'failure';
  if (recipients.some((r) => r.action === 'delayed')) return 'delay';
  return 'success';
}

/**
 * Composes an RFC 3464 delivery status notification: multipart/report with a text/plain
 * explanation, the message/delivery-status fields and the original (RFC 6522). Pure apart from
 * the random boundary and Message-ID when none are given.
 *
 * 8-bit and UTF-8 (our choice, see README): when the original came with SMTPUTF8 and anything
 * reported on is non-ASCII (an address or the original's bytes), the RFC 6533 types are used
 * (message/global-delivery-status, message/global, message/global-headers) and the DSN is sent
 * with SMTPUTF8. Otherwise an 8-bit original stays 8bit inside message/rfc822 and the DSN is sent
 * with BODY=8BITMIME; a 7-bit original gives a 7-bit DSN.
 */
export function buildDsn(input: DsnInput): Dsn {
  if (input.recipients.length === 0) throw new RangeError('buildDsn: no recipients to report on');
  const host = oneLine(input.reportingMta);
  const kind = kindOf(input.recipients);
  const date = input.date ?? new Date();
  const messageId =
    input.messageId ?? `<${date.getTime().toString(36)}.${randomBytes(8).toString('hex')}@${host}>`;
  const boundary = input.boundary ?? `=_mailstack-dsn-${randomBytes(12).toString('hex')}`;
  const to = input.to ?? input.envelope.mailFrom;
  // A DSN is never sent to the null sender (RFC 3461 6.2, RFC 5321 4.5.5).
  if (to === '') throw new RangeError('buildDsn: the original has a null sender; no DSN goes to <>');

  const wanted =
    input.returnContent ?? (kind === 'failure' && input.envelope.params.ret !== 'HDRS' ? 'full' : 'headers');
  const max = input.maxOriginalBytes ?? DEFAULT_MAX_ORIGINAL_BYTES;
  const whole = input.original.bytes.length >= input.original.size;
  const truncated = wanted === 'full' && (input.original.size > max || !whole);
  const returned = wanted === 'full' && !truncated ? 'full' : 'headers';
  const attached = toCrlf(
    returned === 'full'
      ? input.original.bytes.subarray(0, input.original.size)
      : headerSection(input.original.bytes),
  );

  const addresses = [to, ...input.recipients.map((r) => r.recipient.address)];
  const utf8 =
    input.envelope.params.smtpUtf8 === true &&
    (addresses.some((a) => NON_ASCII.test(a)) || hasEightBit(attached));
  const text = humanText({
    kind,
    reportingMta: host,
    recipients: input.recipients,
    returned,
    ...(truncated ? { truncatedFrom: input.original.size } : {}),
  });
  const eightBit = utf8 || hasEightBit(attached);
  // UTF-8 text rides as it is in a DSN that is 8bit anyway, else as base64.
  const textEncoding = !NON_ASCII.test(text) ? '7bit' : eightBit ? '8bit' : 'base64';

  const statusType = utf8 ? 'message/global-delivery-status' : 'message/delivery-status';
  const originalType =
    returned === 'full'
      ? utf8
        ? 'message/global'
        : 'message/rfc822'
      : utf8
        ? 'message/global-headers'
        : 'text/rfc822-headers';
  const status = deliveryStatusBody(
    {
      reportingMta: host,
      ...(input.envelope.params.envId !== undefined ? { envId: input.envelope.params.envId } : {}),
      ...(input.arrivedAt ? { arrivedAt: input.arrivedAt } : {}),
      ...(input.queueId ? { queueId: input.queueId } : {}),
    },
    input.recipients,
    utf8,
  );

  const head = [
    field('From', `Mail Delivery System <MAILER-DAEMON@${host}>`),
    field('To', `<${oneLine(to)}>`),
    field('Subject', DSN_SUBJECTS[kind]),
    field('Date', rfc5322Date(date)),
    field('Message-ID', messageId),
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=${utf8 ? 'global-delivery-status' : 'delivery-status'};\r\n\tboundary="${boundary}"`,
    `Content-Transfer-Encoding: ${eightBit ? '8bit' : '7bit'}`,
  ];
  const parts = [
    [
      'Content-Type: text/plain; charset=utf-8',
      'Content-Description: Notification',
      `Content-Transfer-Encoding: ${textEncoding}`,
      '',
      textEncoding === 'base64' ? base64Lines(Buffer.from(text, 'utf8')) : text,
    ].join('\r\n'),
    [`Content-Type: ${statusType}`, 'Content-Description: Delivery report', '', status].join('\r\n'),
  ];
  const originalHead = [
    `Content-Type: ${originalType}`,
    `Content-Description: ${returned === 'full' ? 'Original message' : 'Header of the original message'}`,
    ...(hasEightBit(attached) ? ['Content-Transfer-Encoding: 8bit'] : []),
    '',
    '',
  ].join('\r\n');

  const chunks: Buffer[] = [
    Buffer.from(
      `${head.join('\r\n')}\r\n\r\nThis is a delivery status notification in MIME format.\r\n` +
        parts.map((p) => `\r\n--${boundary}\r\n${p}`).join('') +
        `\r\n--${boundary}\r\n${originalHead}`,
      'utf8',
    ),
    attached,
    Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
  ];
  const envelope: Envelope = {
    mailFrom: '',
    rcptTo: [{ address: to, notify: ['NEVER'] }],
    params: {
      ...(eightBit ? { body: '8BITMIME' as const } : {}),
      ...(utf8 ? { smtpUtf8: true } : {}),
    },
  };
  return {
    kind,
    envelope,
    bytes: Buffer.concat(chunks),
    messageId,
    returned,
    truncated,
    utf8,
    transferEncoding: eightBit ? '8bit' : '7bit',
  };
}

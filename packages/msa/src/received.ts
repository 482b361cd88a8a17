import { rfc5322Date } from './rfc5322-date.ts';

/** What the Received header of a submission says (RFC 5321 4.4, RFC 3848 protocol names). */
export interface ReceivedInfo {
  /** HELO/EHLO name the client gave. */
  helo: string;
  clientIp: string;
  /** Leave the client's IP out (privacy of the submitting user's network). */
  hideClientIp: boolean;
  /** This server's name. */
  hostname: string;
  /** EHLO (vs HELO) was used. */
  extended: boolean;
  /** TLS protocol and cipher, when the session is encrypted. */
  tls?: { protocol: string; cipher: string };
  /** Authenticated identity. */
  authUser?: string;
  /** Session id, to find the session in the logs. */
  id: string;
  /** Named only for a single recipient, so a copy does not reveal the others (RFC 5321 7.2). */
  recipients: string[];
  date: Date;
}

/** RFC 3848: ESMTP + S for TLS + A for AUTH; plain SMTP after HELO. */
export function protocolName(info: Pick<ReceivedInfo, 'extended' | 'tls' | 'authUser'>): string {
  if (!info.extended) return 'SMTP';
  return `ESMTP${info.tls ? 'S' : ''}${info.authUser ? 'A' : ''}`;
}

/** The whole header field, folded, ending in CRLF. */
export function receivedHeader(info: ReceivedInfo): string {
  const from = info.hideClientIp
    ? `from ${clean(info.helo)}`
    : `from ${clean(info.helo)} ([${info.clientIp}])`;
  const lines = [`Received: ${from}`, `by ${info.hostname} (Mailstack MSA) with ${protocolName(info)}`];
  if (info.tls) lines.push(`(${clean(info.tls.protocol)} cipher ${clean(info.tls.cipher)})`);
  if (info.authUser) lines.push(`(authenticated sender: ${clean(info.authUser)})`);
  const single = info.recipients.length === 1 ? ` for <${clean(info.recipients[0] as string)}>` : '';
  lines.push(`id ${info.id}${single};`, rfc5322Date(info.date));
  return `${lines.join('\r\n\t')}\r\n`;
}

/** Nothing a client sent may break the header: no CR/LF, no parentheses that end a comment. */
function clean(value: string): string {
  return value.replace(/[\r\n()\\]/g, '_').slice(0, 255);
}

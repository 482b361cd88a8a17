/** What the Received field of an inbound transfer says (RFC 5321 4.4, RFC 3848, RFC 6531 3.7.7). */
export interface InboundReceivedInfo {
  /** HELO/EHLO name the client gave. */
  helo: string;
  /** Reverse DNS name of the client, when looked up and found. */
  rdns?: string;
  clientIp: string;
  /** This server's name. */
  hostname: string;
  /** EHLO (vs HELO) was used. */
  extended: boolean;
  tls?: { protocol: string; cipher: string };
  authUser?: string;
  /** SMTPUTF8 was used for the transaction. */
  utf8: boolean;
  /** Identifies the transaction in our logs (the queue id is known only after enqueue). */
  id: string;
  /** Named only for a single recipient, so a copy does not reveal the others (RFC 5321 7.2). */
  recipients: string[];
  date: Date;
}

/** RFC 3848 and 6531: ESMTP/UTF8SMTP, + S for TLS, + A for AUTH; plain SMTP after HELO. */
export function inboundProtocol(
  info: Pick<InboundReceivedInfo, 'extended' | 'tls' | 'authUser' | 'utf8'>,
): string {
  if (!info.extended) return 'SMTP';
  return `${info.utf8 ? 'UTF8SMTP' : 'ESMTP'}${info.tls ? 'S' : ''}${info.authUser ? 'A' : ''}`;
}

/** The whole field, folded, ending in CRLF. */
export function inboundReceived(info: InboundReceivedInfo): string {
  const tcpInfo = `${info.rdns ? `${clean(info.rdns)} ` : ''}[${clean(info.clientIp)}]`;
  const lines = [
    `Received: from ${clean(info.helo) || 'unknown'} (${tcpInfo})`,
    `by ${info.hostname} (Mailstack MTA) with ${inboundProtocol(info)}`,
  ];
  if (info.tls) lines.push(`(${clean(info.tls.protocol)} cipher ${clean(info.tls.cipher)})`);
  if (info.authUser) lines.push(`(authenticated sender: ${clean(info.authUser)})`);
  const single = info.recipients.length === 1 ? ` for <${clean(info.recipients[0] as string)}>` : '';
  lines.push(`id ${info.id}${single};`, rfc5322Date(info.date));
  return `${lines.join('\r\n\t')}\r\n`;
}

/** Nothing a client sent may break the field: no CR/LF, no parentheses that end a comment. */
function clean(value: string): string {
  return value.replace(/[\r\n()\\<>]/g, '_').slice(0, 255);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** `Mon, 23 Nov 2026 08:50:16 +0000` (RFC 5322 3.3), in UTC. */
function rfc5322Date(d: Date): string {
  return (
    `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

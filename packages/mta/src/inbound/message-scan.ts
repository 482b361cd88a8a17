/**
 * What the inbound server reads from a received message before it takes it: where the
 * header section ends, how many hops it has made, whether its line ends are sound. Pure
 * functions over the bytes as received (dot-unstuffed, CRLF line ends).
 */

/** Offset just past the CRLF of the header section's last field (0 when there are no fields). */
export function headerEnd(message: Buffer): number {
  if (message[0] === 0x0d && message[1] === 0x0a) return 0;
  const blank = message.indexOf('\r\n\r\n');
  return blank < 0 ? message.length : blank + 2;
}

/** Header fields as [name lower-cased, raw field bytes including folded lines and CRLF]. */
export function headerFields(head: Buffer): Array<{ name: string; start: number; end: number }> {
  const fields: Array<{ name: string; start: number; end: number }> = [];
  let pos = 0;
  while (pos < head.length) {
    let end = head.indexOf('\r\n', pos);
    end = end < 0 ? head.length : end + 2;
    // folded continuation lines start with WSP
    while (end < head.length && (head[end] === 0x20 || head[end] === 0x09)) {
      const next = head.indexOf('\r\n', end);
      end = next < 0 ? head.length : next + 2;
    }
    const colon = head.indexOf(':', pos);
    const name = colon > pos && colon < end ? head.subarray(pos, colon).toString('latin1').trim() : '';
    fields.push({ name: name.toLowerCase(), start: pos, end });
    pos = end;
  }
  return fields;
}

/** Received fields in the header section: each hop adds one, so many of them mean a loop. */
export function countReceived(head: Buffer): number {
  return headerFields(head).filter((f) => f.name === 'received').length;
}

/**
 * The first CR not followed by LF or LF not preceded by CR (RFC 5321 2.3.8 forbids both in
 * DATA), or -1. These are the bytes SMTP smuggling (`\n.\r\n`, `\r.\r\n`...) rides on.
 */
export function bareLineEnd(message: Buffer): number {
  for (let i = message.indexOf(0x0d); i >= 0; i = message.indexOf(0x0d, i + 1)) {
    if (message[i + 1] !== 0x0a) return i;
  }
  for (let i = message.indexOf(0x0a); i >= 0; i = message.indexOf(0x0a, i + 1)) {
    if (i === 0 || message[i - 1] !== 0x0d) return i;
  }
  return -1;
}

/**
 * RFC 8601 5: an Authentication-Results field that claims our authserv-id but arrived from
 * outside is a forgery and must go, or a reader would trust it as ours.
 */
export function withoutForgedResults(head: Buffer, authservId: string): { head: Buffer; removed: number } {
  const id = authservId.toLowerCase();
  const keep: Buffer[] = [];
  let removed = 0;
  for (const f of headerFields(head)) {
    const bytes = head.subarray(f.start, f.end);
    if (f.name === 'authentication-results') {
      const value = bytes.toString('utf8').slice(bytes.indexOf(':') + 1);
      const claimed = /^\s*(?:\([^)]*\)\s*)*"?([^\s;"]+)/.exec(value)?.[1]?.toLowerCase();
      if (claimed === id) {
        removed++;
        continue;
      }
    }
    keep.push(bytes);
  }
  return { head: removed === 0 ? head : Buffer.concat(keep), removed };
}

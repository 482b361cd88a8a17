/**
 * What the inbound server reads from a received message's header section before it takes it:
 * its fields, how many hops it has made, forged results. Pure functions over the bytes as
 * received (dot-unstuffed, CRLF line ends: bare ones are refused or let through whole by the
 * listener's DATA guard).
 */

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

// Small helpers for writing header fields: RFC 5322 dates, folding, and keeping report text
// free of line breaks (a reply text must never start a header field of its own).

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** RFC 5322 3.3 date-time in UTC: `Mon, 23 Nov 2026 12:11:13 +0000`. */
export function rfc5322Date(d: Date): string {
  return (
    `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

/** One line of printable text: controls (CR, LF, NUL ...) become spaces, runs of blanks collapse. */
export function oneLine(text: string): string {
  return text
    .replace(/[\x00-\x1f\x7f]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** Non-ASCII replaced by `?`: for fields of a 7-bit message/delivery-status. */
export function asciiOnly(text: string): string {
  return text.replace(/[^\x00-\x7f]/g, '?');
}

/**
 * `Name: value` folded at spaces so lines stay near 78 characters (RFC 5322 2.1.1); a word
 * longer than that stays whole, and the value is already one line.
 */
export function field(name: string, value: string): string {
  const words = value.split(' ');
  const lines: string[] = [];
  let line = `${name}:`;
  for (const word of words) {
    if (line.length + 1 + word.length > 78 && line.length > name.length + 1) {
      lines.push(line);
      line = ` ${word}`;
    } else {
      line += ` ${word}`;
    }
  }
  lines.push(line);
  return lines.join('\r\n');
}

/** True when any byte is above 0x7f. */
export function hasEightBit(bytes: Buffer | string): boolean {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  for (const b of buf) if (b > 0x7f) return true;
  return false;
}

/** Base64 in lines of 76 (RFC 2045 6.8). */
export function base64Lines(bytes: Buffer): string {
  return (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

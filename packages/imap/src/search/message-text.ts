/** Header fields of a message, unfolded, with lower-cased names (for SEARCH). */
export function headerFields(message: Buffer): Array<[string, string]> {
  const end = headerEnd(message);
  const text = message.subarray(0, end).toString('utf8');
  const out: Array<[string, string]> = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length > 0) {
      const last = out[out.length - 1]!;
      last[1] += line;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return out;
}

/** Offset where the body starts (after the blank line), or the length when there is none. */
export function headerEnd(message: Buffer): number {
  const i = message.indexOf('\r\n\r\n');
  if (i >= 0) return i + 4;
  const j = message.indexOf('\n\n');
  return j >= 0 ? j + 2 : message.length;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * The calendar date of a Date: header as 'YYYY-MM-DD', as written (RFC 3501: SENT* ignore
 * time and timezone); null when it cannot be read.
 */
export function sentDate(value: string): string | null {
  const m = /(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})/.exec(value);
  if (!m) return null;
  const month = MONTHS.indexOf(m[2]!.toLowerCase());
  if (month < 0) return null;
  let year = Number(m[3]);
  if (year < 50) year += 2000;
  else if (year < 1000) year += 1900;
  return `${String(year).padStart(4, '0')}-${String(month + 1).padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
}

/** The internal date's calendar day as 'YYYY-MM-DD' (UTC: the server's zone). */
export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

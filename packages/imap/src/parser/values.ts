/** Typed values built from the primitives: mailbox names, flags, dates. */
import { decodeMailboxUtf7 } from '../mutf7.ts';
import { type Cursor, SyntaxFailure } from './cursor.ts';
import type { SearchDate } from './types.ts';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

function isAscii(buf: Buffer): boolean {
  for (const b of buf) if (b > 0x7e) return false;
  return true;
}

/**
 * Wire mailbox name → UTF-8. ASCII names are modified UTF-7 unless UTF8=ACCEPT is enabled;
 * 8-bit names are taken as UTF-8 (what some clients send anyway).
 *
 * A name that is not valid modified UTF-7 is still a well-formed astring, so the command is
 * not a syntax error: it is answered NO (no mailbox has that name; imaptest's atoms group
 * expects `NO` to `SELECT !#$&'+...`, as Dovecot answers). A LIST/LSUB pattern (`pattern`)
 * is taken as written instead: it matches no mailbox, and LIST answers OK with nothing.
 */
export function mailboxName(c: Cursor, raw: Buffer, normalizeInbox = true, pattern = false): string {
  let name: string;
  if (c.utf8) {
    name = raw.toString('utf8');
  } else if (isAscii(raw)) {
    const decoded = decodeMailboxUtf7(raw.toString('latin1'));
    if (decoded === null && !pattern) {
      throw new SyntaxFailure('Mailbox name is not valid modified UTF-7', 'NO');
    }
    name = decoded ?? raw.toString('latin1');
  } else {
    name = raw.toString('utf8');
  }
  // RFC 3501 5.1: INBOX is case-insensitive; every other name is case-sensitive.
  return normalizeInbox && name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
}

export function mailbox(c: Cursor): string {
  return mailboxName(c, c.astring('mailbox name'));
}

const SYSTEM_FLAGS = new Map(
  ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', '\\Recent'].map((f) => [f.toUpperCase(), f]),
);

/** flag = "\" atom (system flags in canonical case) / keyword atom. */
export function flag(c: Cursor): string {
  if (c.peekChar() === '\\') {
    c.expect('\\');
    const name = `\\${c.atom('flag')}`;
    return SYSTEM_FLAGS.get(name.toUpperCase()) ?? name;
  }
  return c.atom('flag');
}

export function flagList(c: Cursor): string[] {
  return c.list(() => flag(c));
}

/** date = date-text / DQUOTE date-text DQUOTE, e.g. 1-Feb-1994 → '1994-02-01'. */
export function searchDate(c: Cursor): SearchDate {
  const text = c.astring('date').toString('latin1');
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  const month = m ? MONTHS.indexOf(m[2]!.toUpperCase()) : -1;
  const day = m ? Number(m[1]) : 0;
  if (!m || month < 0 || day < 1 || day > 31) c.fail(`Invalid date: ${text}`);
  return `${m[3]}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE. */
export function dateTime(c: Cursor): Date {
  if (c.peekChar() !== '"') c.fail('Expected a quoted date-time');
  const text = c.string('date-time').toString('latin1');
  const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(text);
  const month = m ? MONTHS.indexOf(m[2]!.toUpperCase()) : -1;
  if (!m || month < 0) c.fail(`Invalid date-time: ${text}`);
  const [day, year, hh, mm, ss, zh, zm] = [m[1], m[3], m[4], m[5], m[6], m[8], m[9]].map(Number) as number[];
  if (day! < 1 || day! > 31 || hh! > 23 || mm! > 59 || ss! > 60 || zm! > 59)
    c.fail(`Invalid date-time: ${text}`);
  const offset = (m[7] === '-' ? -1 : 1) * (zh! * 60 + zm!);
  return new Date(Date.UTC(year!, month, day!, hh!, mm!, ss!) - offset * 60_000);
}

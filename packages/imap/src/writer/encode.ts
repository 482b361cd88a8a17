/**
 * Wire encoding of values: atoms, quoted strings, literals, NIL and lists, chosen by content.
 * Output is collected as pieces so a streamed literal can sit between two buffers.
 */
import { isAtomChar } from '../parser/chars.ts';
import type { StreamedLiteral } from './types.ts';

export type Piece = Buffer | StreamedLiteral;

export interface EncodeOptions {
  /** UTF8=ACCEPT (RFC 6855) enabled: 8-bit text may be quoted instead of sent as a literal. */
  utf8?: boolean;
  /** Strings longer than this (bytes) go out as literals (default 1024). */
  maxQuotedLength?: number;
}

/** Builds one response out of text and literal pieces. */
export class WireBuilder {
  private readonly pieces: Piece[] = [];
  private text: Buffer[] = [];
  readonly options: EncodeOptions;

  constructor(options: EncodeOptions = {}) {
    this.options = options;
  }

  raw(s: string | Buffer): this {
    this.text.push(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
    return this;
  }

  /** A literal whose bytes come from a stream; the `{n}` header is written here. */
  stream(lit: StreamedLiteral): this {
    this.raw(`{${lit.length}}\r\n`);
    this.flushText();
    this.pieces.push(lit);
    return this;
  }

  private flushText(): void {
    if (this.text.length > 0) this.pieces.push(Buffer.concat(this.text));
    this.text = [];
  }

  finish(): Piece[] {
    this.flushText();
    return this.pieces;
  }

  /** string: quoted when safe, else a literal. */
  string(value: string | Buffer): this {
    const buf = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (needsLiteral(buf, this.options)) return this.raw(`{${buf.length}}\r\n`).raw(buf);
    return this.raw('"').raw(escapeQuoted(buf)).raw('"');
  }

  nstring(value: string | Buffer | null | undefined): this {
    return value === null || value === undefined ? this.raw('NIL') : this.string(value);
  }

  /** astring: an atom when every char allows it, else a string. */
  astring(value: string): this {
    return isAtomText(value) ? this.raw(value) : this.string(value);
  }

  /** "(" items separated by SP ")". */
  list<T>(items: readonly T[], each: (item: T) => void): this {
    this.raw('(');
    items.forEach((item, i) => {
      if (i > 0) this.raw(' ');
      each(item);
    });
    return this.raw(')');
  }
}

function needsLiteral(buf: Buffer, options: EncodeOptions): boolean {
  if (buf.length > (options.maxQuotedLength ?? 1024)) return true;
  for (const b of buf) {
    if (b === 0x0d || b === 0x0a || b === 0x00) return true;
    if (b > 0x7f && !options.utf8) return true;
  }
  return false;
}

function escapeQuoted(buf: Buffer): Buffer {
  if (!buf.includes(0x22) && !buf.includes(0x5c)) return buf;
  const out: number[] = [];
  for (const b of buf) {
    if (b === 0x22 || b === 0x5c) out.push(0x5c);
    out.push(b);
  }
  return Buffer.from(out);
}

export function isAtomText(value: string): boolean {
  if (value === '' || value.toUpperCase() === 'NIL') return false;
  for (let i = 0; i < value.length; i++) if (!isAtomChar(value.charCodeAt(i))) return false;
  return true;
}

/**
 * A flag as written on the wire: system flags and keywords are atoms (`\*` in PERMANENTFLAGS).
 * In a flag list `NIL` is the keyword NIL, an atom like any other (RFC 3501 9: flag-keyword =
 * atom; a flag list holds no nstring), so it is not quoted: `"NIL"` there is a syntax error to
 * a client (imaptest's nil group: `STORE 1 +FLAGS NIL` then `FLAGS (NIL)`).
 */
export function isFlagText(flag: string): boolean {
  if (flag === '\\*' || flag.toUpperCase() === 'NIL') return true;
  return isAtomText(flag.startsWith('\\') ? flag.slice(1) : flag);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** IMAP date-time "17-Jul-1996 02:44:25 -0700" in the given zone (minutes east of UTC). */
export function formatDateTime(date: Date, offsetMinutes = 0): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${p2(local.getUTCDate())}-${MONTHS[local.getUTCMonth()]}-${local.getUTCFullYear()} ` +
    `${p2(local.getUTCHours())}:${p2(local.getUTCMinutes())}:${p2(local.getUTCSeconds())} ` +
    `${sign}${p2(Math.floor(abs / 60))}${p2(abs % 60)}`
  );
}

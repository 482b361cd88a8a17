/** Character classes of RFC 3501 section 9 (formal syntax), on bytes. */

const ATOM_SPECIALS = new Set([0x28, 0x29, 0x7b, 0x20, 0x25, 0x2a, 0x22, 0x5c, 0x5d]); // ( ) { SP % * " \ ]

/** ATOM-CHAR: any CHAR except atom-specials (which include CTL and 8-bit). */
export function isAtomChar(b: number): boolean {
  return b > 0x20 && b < 0x7f && !ATOM_SPECIALS.has(b);
}

/** ASTRING-CHAR = ATOM-CHAR / resp-specials. */
export function isAstringChar(b: number): boolean {
  return isAtomChar(b) || b === 0x5d;
}

/** list-char = ATOM-CHAR / list-wildcards / resp-specials. */
export function isListChar(b: number): boolean {
  return isAstringChar(b) || b === 0x25 || b === 0x2a;
}

/** tag = 1*<any ASTRING-CHAR except "+">. */
export function isTagChar(b: number): boolean {
  return isAstringChar(b) && b !== 0x2b;
}

export function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** The tag at the start of a command line, or undefined when the line has none. */
export function readTag(line: Buffer): string | undefined {
  let i = 0;
  while (i < line.length && isTagChar(line[i]!)) i++;
  if (i === 0 || (i < line.length && line[i] !== 0x20)) return undefined;
  return line.toString('latin1', 0, i);
}

/** The command word after the tag (upper-cased), and after `UID ` the UID sub-command too. */
export function readCommandWord(line: Buffer): string | undefined {
  const m = /^[^ ]+ ([A-Za-z]+)(?: ([A-Za-z]+))?/.exec(line.toString('latin1', 0, Math.min(line.length, 64)));
  if (!m) return undefined;
  const word = m[1]!.toUpperCase();
  return word === 'UID' && m[2] ? `UID ${m[2].toUpperCase()}` : word;
}

export interface LiteralMarker {
  size: number;
  /** `{n+}`: LITERAL+ (RFC 7888), the client sends without waiting. */
  nonSync: boolean;
  /** `~{n}`: literal8 (RFC 3516). */
  binary: boolean;
  /** The declared size does not fit in 32 bits: refuse without looking further. */
  overflow: boolean;
}

/**
 * Whether a line (without CRLF) ends in a literal announcement outside a quoted string.
 * Quoted strings cannot span lines, so each line starts outside quotes.
 */
export function trailingLiteral(line: Buffer): LiteralMarker | undefined {
  if (line.length < 3 || line[line.length - 1] !== 0x7d) return undefined;
  let inQuote = false;
  let open = -1;
  for (let i = 0; i < line.length; i++) {
    const b = line[i]!;
    if (inQuote) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inQuote = false;
    } else if (b === 0x22) {
      inQuote = true;
    } else if (b === 0x7b) {
      open = i;
    }
  }
  if (inQuote || open < 0) return undefined;
  const m = /^\{([0-9]+)(\+?)\}$/.exec(line.toString('latin1', open));
  if (!m) return undefined;
  const digits = m[1]!.replace(/^0+(?=.)/, '');
  const overflow = digits.length > 10 || Number(digits) > 0xffffffff;
  return {
    size: overflow ? Number.POSITIVE_INFINITY : Number(digits),
    nonSync: m[2] === '+',
    binary: open > 0 && line[open - 1] === 0x7e,
    overflow,
  };
}

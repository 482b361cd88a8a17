/**
 * Modified UTF-7 (RFC 3501 5.1.3): the form of mailbox names on the IMAP wire and, as Dovecot
 * and Courier keep them, in Maildir++ folder names on disk. One codec for both.
 */

function encodeUnits(units: number[]): string {
  const bytes = Buffer.alloc(units.length * 2);
  for (let i = 0; i < units.length; i++) bytes.writeUInt16BE(units[i]!, i * 2);
  return bytes.toString('base64').replace(/=+$/, '').replaceAll('/', ',');
}

function unitsOf(bytes: Buffer): number[] {
  const units: number[] = [];
  for (let k = 0; k + 1 < bytes.length; k += 2) units.push(bytes.readUInt16BE(k));
  return units;
}

/** UTF-8 name → modified UTF-7: printable ASCII stays, '&' → '&-', the rest as &base64-. */
export function encodeModifiedUtf7(name: string): string {
  let out = '';
  let pending: number[] = [];
  const flush = (): void => {
    if (pending.length > 0) out += `&${encodeUnits(pending)}-`;
    pending = [];
  };
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += code === 0x26 ? '&-' : name[i];
    } else {
      pending.push(code);
    }
  }
  flush();
  return out;
}

/**
 * Modified UTF-7 → UTF-8, or null when it is not modified UTF-7 (a character outside
 * printable ASCII, an unterminated shift, bad base64, an odd number of bytes).
 *
 * `strict` (what a client sends) also refuses what no correct encoder writes: leftover bits,
 * a shifted run of printable ASCII, a lone surrogate. Names read from disk are decoded
 * leniently, so a folder another program named a little oddly still shows up.
 */
export function decodeModifiedUtf7(encoded: string, options: { strict?: boolean } = {}): string | null {
  let out = '';
  for (let i = 0; i < encoded.length; i++) {
    const ch = encoded[i]!;
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code > 0x7e) return null;
    if (ch !== '&') {
      out += ch;
      continue;
    }
    const end = encoded.indexOf('-', i + 1);
    if (end < 0) return null;
    const b64 = encoded.slice(i + 1, end);
    i = end;
    if (b64 === '') {
      out += '&';
      continue;
    }
    if (!/^[A-Za-z0-9+,]+$/.test(b64)) return null;
    const bytes = Buffer.from(b64.replaceAll(',', '/'), 'base64');
    if (bytes.length % 2 !== 0) return null;
    const units = unitsOf(bytes);
    if (options.strict && !isCanonical(b64, units)) return null;
    out += String.fromCharCode(...units);
  }
  return out;
}

/** RFC 2152 rules: whole UTF-16 units, zero leftover bits, no shifted ASCII, paired surrogates. */
function isCanonical(b64: string, units: number[]): boolean {
  if (b64.length % 4 === 1 || encodeUnits(units) !== b64) return false;
  for (let k = 0; k < units.length; k++) {
    const u = units[k]!;
    if (u >= 0x20 && u <= 0x7e) return false;
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = units[k + 1];
      if (next === undefined || next < 0xdc00 || next > 0xdfff) return false;
      k++;
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      return false;
    }
  }
  return true;
}

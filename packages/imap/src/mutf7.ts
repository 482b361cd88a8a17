/**
 * Modified UTF-7 (RFC 3501 5.1.3), the wire form of mailbox names. The store speaks UTF-8;
 * only the protocol layer converts, so these live here rather than in storage code.
 */

function encodeUnits(units: number[]): string {
  const bytes = Buffer.alloc(units.length * 2);
  for (let i = 0; i < units.length; i++) bytes.writeUInt16BE(units[i]!, i * 2);
  return bytes.toString('base64').replace(/=+$/, '').replaceAll('/', ',');
}

/** UTF-8 name → modified UTF-7: printable ASCII stays, '&' → '&-', the rest as &base64-. */
export function encodeMailboxUtf7(name: string): string {
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
 * Modified UTF-7 → UTF-8, or null when the input is not valid modified UTF-7 (bad base64,
 * unterminated shift, a shifted run of printable ASCII, a lone surrogate, stray bits).
 */
export function decodeMailboxUtf7(encoded: string): string | null {
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
    if (!/^[A-Za-z0-9+,]+$/.test(b64) || b64.length % 4 === 1) return null;
    const bytes = Buffer.from(b64.replaceAll(',', '/'), 'base64');
    // Leftover bits must be zero and the run must be whole UTF-16 units (RFC 2152 rules).
    if (bytes.length % 2 !== 0) return null;
    if (encodeUnits(unitsOf(bytes)) !== b64) return null;
    const units = unitsOf(bytes);
    for (let k = 0; k < units.length; k++) {
      const u = units[k]!;
      // Printable ASCII must not be shifted; surrogates must pair up.
      if (u >= 0x20 && u <= 0x7e) return null;
      if (u >= 0xd800 && u <= 0xdbff) {
        const next = units[k + 1];
        if (next === undefined || next < 0xdc00 || next > 0xdfff) return null;
        k++;
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        return null;
      }
    }
    out += String.fromCharCode(...units);
  }
  return out;
}

function unitsOf(bytes: Buffer): number[] {
  const units: number[] = [];
  for (let k = 0; k + 1 < bytes.length; k += 2) units.push(bytes.readUInt16BE(k));
  return units;
}

/**
 * RFC 3461 4: xtext, the wire form of ENVID and ORCPT. The spool keeps them decoded (as
 * smtp-server hands them over), so they are encoded again on the way out (to the next hop, and
 * in a DSN so the sender can match them byte for byte): every byte outside
 * `!`..`~`, and `+` and `=` themselves, as `+HH` (upper-case hex). UTF-8 is encoded byte-wise.
 */
export function encodeXtext(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte >= 0x21 && byte <= 0x7e && byte !== 0x2b && byte !== 0x3d) out += String.fromCharCode(byte);
    else out += `+${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** ORCPT as `addr-type;xtext` (RFC 3461 4.2); a bare address is taken as rfc822. */
export function encodeOrcpt(orcpt: string): string {
  const semi = orcpt.indexOf(';');
  const type = semi > 0 ? orcpt.slice(0, semi).trim() : 'rfc822';
  const address = semi > 0 ? orcpt.slice(semi + 1) : orcpt;
  return `${type};${encodeXtext(address)}`;
}

/** The inverse of `encodeXtext` (bytes, then UTF-8); tests read DSN fields back with it. */
export function decodeXtext(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value[i] === '+' ? value.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(value[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * RFC 3461 4: xtext. The spool keeps ENVID and ORCPT decoded (smtp-server decodes `+HH`), and
 * a DSN gives them back in the form the sender used on the wire, so the sender can match them
 * byte for byte: every byte outside `!`..`~`, and `+` and `=` themselves, become `+HH`.
 */
export function encodeXtext(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte >= 0x21 && byte <= 0x7e && byte !== 0x2b && byte !== 0x3d) out += String.fromCharCode(byte);
    else out += `+${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The inverse of `encodeXtext` (bytes, then UTF-8). */
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

/** Original-Recipient's value from a stored ORCPT: `addr-type;xtext` (a bare address is rfc822). */
export function originalRecipientField(orcpt: string): string {
  const semi = orcpt.indexOf(';');
  const type = semi > 0 ? orcpt.slice(0, semi).trim() : 'rfc822';
  const address = semi > 0 ? orcpt.slice(semi + 1) : orcpt;
  return `${type};${encodeXtext(address)}`;
}

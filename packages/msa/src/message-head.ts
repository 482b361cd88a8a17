import { headSectionEnd } from '@mailstack/smtp';

/**
 * The header section of a submitted message, read without touching its bytes: where it ends
 * and which fields it has. The same bytes are what the MSA stores and sends on: DATA with a
 * bare CR or LF is refused before this runs, so every later reader splits the lines as here.
 */
export interface MessageHead {
  /** Offset of the first byte after the header section's last field (its CRLF included). */
  end: number;
  /** The fields in order: lower-cased name and unfolded value. */
  fields: Array<{ name: string; value: string }>;
}

export function readHead(message: Buffer): MessageHead {
  const found = headSectionEnd(message);
  const end = found < 0 ? message.length : found; // header only, no body
  const fields: MessageHead['fields'] = [];
  for (const line of message.subarray(0, end).toString('utf8').split('\r\n')) {
    if (line === '') continue;
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line)) {
      if (last) last.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return { end, fields };
}

export function hasField(head: MessageHead, name: string): boolean {
  return head.fields.some((f) => f.name === name);
}

/**
 * The addr-specs of an address-list header value (RFC 5322 3.4): `Name <a@b>`, bare `a@b`,
 * groups `team: a@b, c@d;`, comments and quoted display names skipped.
 */
export function addressesOf(value: string): string[] {
  const withoutComments = stripComments(value);
  const out: string[] = [];
  for (const part of splitOutsideQuotes(withoutComments)) {
    // the route-addr ends the mailbox; a quoted display name may hold '<' too
    const angle = /<([^<>]*)>\s*$/.exec(part);
    let address = angle ? (angle[1] as string) : part.replace(/^[^:"]*:/, '').replace(/;$/, '');
    address = address.trim().replace(/^"(.*)"(@.*)$/, '"$1"$2');
    if (address) out.push(address);
  }
  return out;
}

function stripComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '\\') {
      if (depth === 0) out += c + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"' && depth === 0) quoted = !quoted;
    if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

/** Splits at commas and semicolons (group ends) outside quotes and angle brackets. */
function splitOutsideQuotes(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '\\') {
      current += c + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') angle = true;
    else if (!quoted && c === '>') angle = false;
    if (!quoted && !angle && (c === ',' || c === ';')) {
      if (current.trim()) parts.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

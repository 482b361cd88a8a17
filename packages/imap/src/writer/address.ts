/**
 * RFC 5322 address lists → IMAP ENVELOPE addresses (RFC 3501 7.4.2). Forgiving like Dovecot:
 * encoded words stay as written, a comment names an address that has no display name,
 * an obsolete source route goes to the adl field as written (`@a,@b`, RFC 3501's addr-adl),
 * null members of a list (`a, , b`) are ignored (RFC 5322 4.4), and a missing local part or domain is filled with
 * MISSING_MAILBOX / MISSING_DOMAIN so a client never mistakes it for a group marker.
 */

export type EnvelopeAddress =
  | { kind: 'mailbox'; name: string | null; mailbox: string; host: string; route?: string }
  | { kind: 'group-start'; name: string }
  | { kind: 'group-end' };

export const MISSING_MAILBOX = 'MISSING_MAILBOX';
export const MISSING_DOMAIN = 'MISSING_DOMAIN';

/** `ws`: whitespace came before the token (display names keep single spaces only there). */
type Token = { ws?: boolean } & (
  | { t: 'word'; v: string }
  | { t: 'quoted'; v: string }
  | { t: 'comment'; v: string }
  | { t: 'special'; v: string }
  | { t: 'dliteral'; v: string }
);

const SPECIALS = '<>,;:@.';

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let ws = false;
  const push = (t: Token): void => {
    t.ws = ws;
    ws = false;
    out.push(t);
  };
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      ws = true;
      i++;
    } else if (ch === '"') {
      let v = '';
      let j = i + 1;
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\' && j + 1 < s.length) j++;
        v += s[j];
        j++;
      }
      push({ t: 'quoted', v });
      i = j + 1;
    } else if (ch === '(') {
      let depth = 0;
      let v = '';
      let j = i;
      for (; j < s.length; j++) {
        const c = s[j]!;
        if (c === '\\' && j + 1 < s.length) {
          v += s[++j];
          continue;
        }
        if (c === '(') depth++;
        else if (c === ')') depth--;
        if (depth === 0) break;
        if (!(c === '(' && depth === 1)) v += c;
      }
      push({ t: 'comment', v: v.trim() });
      i = j + 1;
    } else if (ch === '[') {
      const j = s.indexOf(']', i);
      const end = j < 0 ? s.length : j + 1;
      push({ t: 'dliteral', v: s.slice(i, end) });
      i = end;
    } else if (SPECIALS.includes(ch)) {
      push({ t: 'special', v: ch });
      i++;
    } else {
      let j = i;
      while (j < s.length && !' \t\r\n"(['.includes(s[j]!) && !SPECIALS.includes(s[j]!)) j++;
      push({ t: 'word', v: s.slice(i, j) });
      i = j;
    }
  }
  return out;
}

const isSpecial = (tok: Token | undefined, v: string): boolean => tok?.t === 'special' && tok.v === v;

/** A display name: quoted strings unescaped, whitespace runs as one space, comments dropped. */
function phrase(tokens: Token[]): string | null {
  let out = '';
  for (const tok of tokens) {
    if (tok.t === 'comment') continue;
    out += out !== '' && tok.ws ? ` ${tok.v}` : tok.v;
  }
  out = out.trim();
  return out === '' ? null : out;
}

/**
 * Tokens without the whitespace between them; a quoted string gives its content, unescaped:
 * its quotes are syntax, not value (RFC 5322 3.2.4), so `"john doe"@x` has the local part
 * `john doe`, as Dovecot and c-client answer (a client re-quotes when it writes the address).
 */
const text = (ts: Token[]): string => ts.map((t) => t.v).join('');

/** addr-spec tokens → mailbox and host (quoted local parts unquoted). */
function addrSpec(tokens: Token[], name: string | null, angle = false): EnvelopeAddress | null {
  // An obsolete source route "@a,@b:" before the addr-spec: kept apart for the adl field.
  let start = 0;
  let route: string | undefined;
  if (isSpecial(tokens[0], '@')) {
    const colon = tokens.findIndex((t) => isSpecial(t, ':'));
    if (colon >= 0) {
      start = colon + 1;
      route = text(tokens.slice(0, colon).filter((t) => t.t !== 'comment'));
    }
  }
  const spec = tokens.slice(start).filter((t) => t.t !== 'comment');
  let at = -1;
  for (let k = spec.length - 1; k >= 0; k--) {
    if (isSpecial(spec[k], '@')) {
      at = k;
      break;
    }
  }
  const local = text(at < 0 ? spec : spec.slice(0, at));
  const host = at < 0 ? '' : text(spec.slice(at + 1));
  // Nothing at all is a null list member; an empty `<>` was written as an address (Dovecot too).
  if (local === '' && host === '' && name === null && !angle) return null;
  const address: EnvelopeAddress = {
    kind: 'mailbox',
    name,
    mailbox: local || MISSING_MAILBOX,
    host: host || MISSING_DOMAIN,
  };
  if (route !== undefined && route !== '') address.route = route;
  return address;
}

/** One mailbox: `name <addr>` or `addr (comment)`. */
function mailbox(tokens: Token[]): EnvelopeAddress | null {
  const lt = tokens.findIndex((t) => isSpecial(t, '<'));
  if (lt >= 0) {
    let gt = tokens.findIndex((t, k) => k > lt && isSpecial(t, '>'));
    if (gt < 0) gt = tokens.length;
    const name = phrase(tokens.slice(0, lt));
    return addrSpec(tokens.slice(lt + 1, gt), name, true);
  }
  // Only comments (`group: (foo) ;`): CFWS around nothing, a null member (RFC 5322 4.4) as in
  // Dovecot, not an address named by its comment.
  if (tokens.every((t) => t.t === 'comment')) return null;
  const comment = tokens.find((t) => t.t === 'comment' && t.v !== '');
  return addrSpec(tokens, comment ? comment.v : null);
}

/** Splits at top-level commas, keeping `<...>` together. */
function splitMailboxes(tokens: Token[]): Token[][] {
  const items: Token[][] = [];
  let cur: Token[] = [];
  let inAngle = false;
  for (const tok of tokens) {
    if (isSpecial(tok, '<')) inAngle = true;
    if (isSpecial(tok, '>')) inAngle = false;
    if (!inAngle && isSpecial(tok, ',')) {
      items.push(cur);
      cur = [];
    } else {
      cur.push(tok);
    }
  }
  items.push(cur);
  return items.filter((it) => it.length > 0);
}

/** Whether a ':' at top level (outside `<...>`) starts a group. */
function groupColon(tokens: Token[], from: number): number {
  let inAngle = false;
  for (let k = from; k < tokens.length; k++) {
    const tok = tokens[k]!;
    if (isSpecial(tok, '<')) inAngle = true;
    else if (isSpecial(tok, '>')) inAngle = false;
    else if (!inAngle && isSpecial(tok, ',')) return -1;
    else if (!inAngle && isSpecial(tok, ':')) return k;
  }
  return -1;
}

export function parseAddressList(value: string): EnvelopeAddress[] {
  const tokens = tokenize(value);
  const out: EnvelopeAddress[] = [];
  let i = 0;
  while (i < tokens.length) {
    const colon = groupColon(tokens, i);
    // A leading '@' means a source route, whose ':' is not a group.
    if (colon >= 0 && !isSpecial(tokens[i], '@') && !isSpecial(tokens[colon - 1], '<')) {
      const name = phrase(tokens.slice(i, colon)) ?? '';
      let end = tokens.findIndex((t, k) => k > colon && isSpecial(t, ';'));
      if (end < 0) end = tokens.length;
      out.push({ kind: 'group-start', name });
      for (const item of splitMailboxes(tokens.slice(colon + 1, end))) {
        const m = mailbox(item);
        if (m) out.push(m);
      }
      out.push({ kind: 'group-end' });
      i = end + 1;
      if (isSpecial(tokens[i], ',')) i++;
      continue;
    }
    // Up to the next top-level comma.
    let j = i;
    let inAngle = false;
    for (; j < tokens.length; j++) {
      if (isSpecial(tokens[j], '<')) inAngle = true;
      else if (isSpecial(tokens[j], '>')) inAngle = false;
      else if (!inAngle && isSpecial(tokens[j], ',')) break;
    }
    const m = mailbox(tokens.slice(i, j));
    if (m) out.push(m);
    i = j + 1;
  }
  return out;
}

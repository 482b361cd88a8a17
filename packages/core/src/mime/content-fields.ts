/**
 * Parsers for the structured MIME header values (RFC 2045, 2183, 2231, 3282), written to give
 * the same results as Dovecot's rfc822-parser/rfc2231-parser, because the IMAP server's
 * BODYSTRUCTURE must match what Dovecot would answer for the same bytes.
 */

/** MIME token characters: printable ASCII except SP and tspecials, plus 8-bit bytes (as Dovecot). */
function isTokenChar(c: number): boolean {
  if (c >= 0x80) return true;
  if (c <= 0x20 || c === 0x7f) return false;
  // tspecials: ( ) < > @ , ; : \ " / [ ] ? =
  switch (c) {
    case 0x28:
    case 0x29:
    case 0x3c:
    case 0x3e:
    case 0x40:
    case 0x2c:
    case 0x3b:
    case 0x3a:
    case 0x5c:
    case 0x22:
    case 0x2f:
    case 0x5b:
    case 0x5d:
    case 0x3f:
    case 0x3d:
      return false;
    default:
      return true;
  }
}

/** RFC 5322 atext (used for Content-Language tags). */
function isAtext(c: number): boolean {
  if (c >= 0x80) return true;
  if (c <= 0x20 || c === 0x7f) return false;
  // specials: ( ) < > [ ] : ; @ \ , . "
  switch (c) {
    case 0x28:
    case 0x29:
    case 0x3c:
    case 0x3e:
    case 0x5b:
    case 0x5d:
    case 0x3a:
    case 0x3b:
    case 0x40:
    case 0x5c:
    case 0x2c:
    case 0x2e:
    case 0x22:
      return false;
    default:
      return true;
  }
}

/** A cursor over one unfolded header value. Results: 1 = more input, 0 = at end, -1 = broken. */
class ValueCursor {
  pos = 0;
  readonly s: string;
  constructor(s: string) {
    this.s = s;
  }

  atEnd(): boolean {
    return this.pos >= this.s.length;
  }

  peek(): number {
    return this.s.charCodeAt(this.pos);
  }

  /** Skips whitespace and (nested) comments. */
  skipLwsp(): number {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) {
        this.pos++;
        continue;
      }
      if (c !== 0x28) break;
      if (this.skipComment() < 0) return -1;
    }
    return this.pos < s.length ? 1 : 0;
  }

  private skipComment(): number {
    const s = this.s;
    let level = 1;
    this.pos++;
    for (; this.pos < s.length; this.pos++) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x28) level++;
      else if (c === 0x29) {
        if (--level === 0) {
          this.pos++;
          return this.pos < s.length ? 1 : 0;
        }
      } else if (c === 0x5c) {
        this.pos++;
        if (this.pos >= s.length) return -1;
      }
    }
    return -1;
  }

  /** A MIME token (dots allowed, as Dovecot); may be empty. Returns [token, skipLwsp result]. */
  token(): [string, number] {
    const start = this.pos;
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (isTokenChar(c) || c === 0x2e) this.pos++;
      else break;
    }
    const tok = s.slice(start, this.pos);
    return [tok, this.pos < s.length ? this.skipLwsp() : 0];
  }

  atom(): string | undefined {
    const start = this.pos;
    const s = this.s;
    while (this.pos < s.length && isAtext(s.charCodeAt(this.pos))) this.pos++;
    if (this.pos === start) return undefined;
    const a = s.slice(start, this.pos);
    this.skipLwsp();
    return a;
  }

  /** Quoted string at the cursor (on the opening quote): unquoted, folding removed. */
  quoted(): [string, number] {
    const s = this.s;
    let out = '';
    this.pos++;
    let start = this.pos;
    for (; this.pos < s.length; this.pos++) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x22) {
        out += s.slice(start, this.pos);
        this.pos++;
        return [out, this.skipLwsp()];
      }
      if (c === 0x0a) {
        let end = this.pos;
        if (end > start && s.charCodeAt(end - 1) === 0x0d) end--;
        out += s.slice(start, end);
        start = this.pos + 1;
      } else if (c === 0x5c) {
        this.pos++;
        if (this.pos >= s.length) return [out, -1];
        out += s.slice(start, this.pos - 1);
        start = this.pos;
      }
    }
    return [out, -1];
  }
}

/** One `; name=value` parameter; undefined key means the end; null means a broken parameter. */
function nextParam(cur: ValueCursor): { key: string; value: string } | null | undefined {
  if (cur.atEnd()) return undefined;
  if (cur.peek() !== 0x3b) return null;
  cur.pos++;
  if (cur.skipLwsp() <= 0) return null;
  const [key, kr] = cur.token();
  if (kr <= 0 || cur.peek() !== 0x3d) return null;
  cur.pos++;
  const lw = cur.skipLwsp();
  if (lw < 0) return null;
  if (lw === 0) return { key, value: '' };
  const c = cur.peek();
  if (c === 0x22) {
    const [v, r] = cur.quoted();
    return r < 0 ? null : { key, value: v };
  }
  if (c === 0x3d) {
    // Dovecot's workaround for unquoted encoded words: name==?utf-8?b?...?=
    const s = cur.s;
    const start = cur.pos;
    while (cur.pos < s.length) {
      const d = s.charCodeAt(cur.pos);
      if (d === 0x3b || d === 0x20 || d === 0x09 || d === 0x0d || d === 0x0a) break;
      cur.pos++;
    }
    return { key, value: s.slice(start, cur.pos) };
  }
  const [v, r] = cur.token();
  return r < 0 ? null : { key, value: v };
}

interface Rfc2231Piece {
  key: string;
  idx: number;
  extended: boolean;
  value: string;
}

/**
 * Parameters in header order with names lower-cased. RFC 2231 pieces (`name*0*=`, `name*=`)
 * are joined as Dovecot does: appended after the plain parameters, named `name*` when any piece
 * is extended, and the value left in its `charset'lang'%XX` form (not decoded).
 */
function parseParams(cur: ValueCursor): Array<[string, string]> {
  const plain: Array<[string, string]> = [];
  const pieces: Rfc2231Piece[] = [];
  for (;;) {
    const p = nextParam(cur);
    if (p === undefined) break;
    if (p === null) {
      // Broken parameter: Dovecot skips one character and tries again, i.e. resyncs on ';'.
      if (cur.atEnd()) break;
      cur.pos++;
      continue;
    }
    const key = p.key.toLowerCase();
    const star = key.indexOf('*');
    if (star >= 0) {
      // Same key grammar as Dovecot: name*, name*N, name*N*, name** (extended, index 0).
      let i = star;
      let idx = 0;
      if (i + 1 < key.length) {
        i++;
        while (i < key.length && key.charCodeAt(i) >= 0x30 && key.charCodeAt(i) <= 0x39) {
          idx = idx * 10 + key.charCodeAt(i) - 0x30;
          i++;
        }
      }
      let extended = false;
      if (key.charCodeAt(i) === 0x2a) {
        extended = true;
        i++;
      }
      if (i === key.length) {
        pieces.push({ key: key.slice(0, star), idx, extended, value: p.value });
        continue;
      }
    }
    plain.push([key, p.value]);
  }
  if (pieces.length === 0) return plain;
  pieces.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.idx - b.idx));
  for (let i = 0; i < pieces.length; ) {
    let j = i;
    let ok = true;
    let haveExtended = false;
    let nextIdx = 0;
    while (j < pieces.length && pieces[j]!.key === pieces[i]!.key) {
      if (pieces[j]!.idx !== nextIdx) ok = false;
      if (pieces[j]!.extended) haveExtended = true;
      nextIdx++;
      j++;
    }
    if (!ok) {
      for (let k = i; k < j; k++) {
        const q = pieces[k]!;
        plain.push([`${q.key}*${q.idx}${q.extended ? '*' : ''}`, q.value]);
      }
    } else {
      let v = !pieces[i]!.extended && haveExtended ? "''" : '';
      for (let k = i; k < j; k++) {
        const q = pieces[k]!;
        v += !q.extended && haveExtended ? q.value.replaceAll('%', '%25') : q.value;
      }
      plain.push([haveExtended ? `${pieces[i]!.key}*` : pieces[i]!.key, v]);
    }
    i = j;
  }
  return plain;
}

export interface ContentType {
  type: string;
  subtype: string;
  params: Array<[string, string]>;
}

/**
 * Content-Type as Dovecot reads it: `type/subtype` tokens (comments and spaces allowed around
 * the slash); a value without a slash keeps its type with an empty subtype; when the type/subtype
 * part is broken the parameters are not read. An empty type becomes text/plain (Dovecot would
 * answer "" "", which clients cannot use).
 */
export function parseContentType(value: string): ContentType {
  const cur = new ValueCursor(value);
  let ok = cur.skipLwsp() > 0;
  let type = '';
  let subtype = '';
  if (ok) {
    const [t, r] = cur.token();
    type = t;
    ok = r > 0 && cur.peek() === 0x2f;
    if (ok) {
      cur.pos++;
      ok = cur.skipLwsp() > 0;
      if (ok) {
        const [st, r2] = cur.token();
        subtype = st;
        ok = r2 >= 0;
      }
    }
  }
  type = type.toLowerCase();
  subtype = subtype.toLowerCase();
  if (type === '') return { type: 'text', subtype: 'plain', params: [] };
  return { type, subtype, params: ok ? parseParams(cur) : [] };
}

/** The boundary parameter the way the multipart scanner uses it (first `boundary`, max 80 bytes). */
export function boundaryOf(params: Array<[string, string]>): string | undefined {
  for (const [k, v] of params) if (k === 'boundary') return v;
  return undefined;
}

export function parseDisposition(
  value: string,
): { type: string; params: Array<[string, string]> } | undefined {
  const cur = new ValueCursor(value);
  cur.skipLwsp();
  const [type, r] = cur.token();
  if (r < 0) return undefined;
  return { type, params: parseParams(cur) };
}

export function parseTransferEncoding(value: string): string | undefined {
  const cur = new ValueCursor(value);
  cur.skipLwsp();
  const [tok, r] = cur.token();
  return r === 0 && tok.length > 0 ? tok : undefined;
}

export function parseLanguage(value: string): string[] | undefined {
  const cur = new ValueCursor(value);
  cur.skipLwsp();
  const langs: string[] = [];
  for (;;) {
    const a = cur.atom();
    if (a === undefined) break;
    langs.push(a);
    if (cur.atEnd() || cur.peek() !== 0x2c) break;
    cur.pos++;
    cur.skipLwsp();
  }
  return langs.length > 0 ? langs : undefined;
}

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

const ATEXT_SYMBOLS = "!#$%&'*+-/=?^_`{|}~";

/** RFC 5322 atext, and every 8-bit character (raw UTF-8 or Latin-1 names in the wild). */
function isAtext(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code >= 0x80) return true;
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    ATEXT_SYMBOLS.includes(c)
  );
}

const isWsp = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/**
 * One address list, read left to right the way Dovecot's message-address parser reads it, so
 * our ENVELOPE agrees with Dovecot's on odd input too (test/interop/imap-bodystructure-dovecot
 * compares them on 200+ messages). Steps answer 1 (more input follows), 0 (input ended) or
 * -1 (syntax error: an unterminated comment, quoted string or domain literal, a missing part).
 * Two places follow RFC 5322 4.4 where Dovecot does not: null list members (`a, , b`) are
 * skipped instead of reported as MISSING_MAILBOX@MISSING_DOMAIN, and CFWS around the dots of
 * an obsolete local part (`alice . smith@x`) is allowed.
 */
class AddressReader {
  readonly s: string;
  i = 0;
  /** The text of the last comment closed since it was reset (Dovecot's display-name fallback). */
  lastComment = '';
  /** Scratch text: the phrase or local part being read. */
  buf = '';
  addr: {
    name: string | null;
    route?: string;
    mailbox: string | null;
    domain: string | null;
    invalid: boolean;
  } = AddressReader.empty();
  readonly out: EnvelopeAddress[] = [];

  constructor(s: string) {
    this.s = s;
  }

  static empty(): AddressReader['addr'] {
    return { name: null, mailbox: null, domain: null, invalid: false };
  }

  peek(): string | undefined {
    return this.s[this.i];
  }

  get atEnd(): boolean {
    return this.i >= this.s.length;
  }

  more(): number {
    return this.atEnd ? 0 : 1;
  }

  comment(): number {
    this.lastComment = '';
    let depth = 1;
    let text = '';
    let start = ++this.i;
    for (; this.i < this.s.length; this.i++) {
      const c = this.s[this.i];
      if (c === '(') depth++;
      else if (c === ')') {
        if (--depth === 0) {
          this.lastComment = text + this.s.slice(start, this.i);
          this.i++;
          return this.more();
        }
      } else if (c === '\\') {
        text += this.s.slice(start, this.i);
        start = ++this.i;
        if (this.atEnd) return -1;
      }
    }
    return -1;
  }

  /** CFWS: whitespace and comments. */
  cfws(): number {
    while (!this.atEnd) {
      if (isWsp(this.peek())) this.i++;
      else if (this.peek() === '(') {
        if (this.comment() < 0) return -1;
      } else break;
    }
    return this.more();
  }

  /** Characters while `ok` holds, appended to buf; then CFWS. */
  run(ok: (c: string | undefined) => boolean): number {
    const start = this.i;
    while (!this.atEnd && ok(this.peek())) this.i++;
    this.buf += this.s.slice(start, this.i);
    return this.atEnd ? 0 : this.cfws();
  }

  atom(): number {
    if (!isAtext(this.peek())) return -1;
    return this.run(isAtext);
  }

  quotedString(): number {
    let start = ++this.i;
    for (; this.i < this.s.length; this.i++) {
      const c = this.s[this.i];
      if (c === '"') {
        this.buf += this.s.slice(start, this.i);
        this.i++;
        return this.cfws();
      }
      if (c === '\n') {
        // Folding inside the string: the line break goes, the whitespace after it stays.
        this.buf += this.s.slice(start, this.s[this.i - 1] === '\r' ? this.i - 1 : this.i);
        start = this.i + 1;
      } else if (c === '\\') {
        this.buf += this.s.slice(start, this.i);
        start = ++this.i;
        if (this.atEnd) return -1;
      }
    }
    return -1;
  }

  /** phrase = 1*word / obs-phrase (words and dots); words joined by one space. */
  phrase(): number {
    if (this.atEnd) return 0;
    if (this.peek() === '.') return -1;
    for (;;) {
      const ret = this.peek() === '"' ? this.quotedString() : this.run((c) => isAtext(c) || c === '.');
      if (ret <= 0) return ret;
      if (!isAtext(this.peek()) && this.peek() !== '"' && this.peek() !== '.') break;
      this.buf += ' ';
    }
    return this.cfws();
  }

  /** dot-atom with CFWS around the dots (domains). */
  dotAtom(): number {
    if (!isAtext(this.peek())) return -1;
    for (;;) {
      const ret = this.run(isAtext);
      if (ret <= 0) return ret;
      if (this.peek() !== '.') return 1;
      this.i++;
      this.buf += '.';
      // A dot must be followed by an atom: `example.org.` and `example..org` are no domain.
      if (this.cfws() <= 0 || !isAtext(this.peek())) return -1;
    }
  }

  /** Local part: a quoted string, or atoms and dots (empty atoms allowed, CFWS after a dot too). */
  localPart(): number {
    this.buf = '';
    let ret = -1;
    if (this.peek() === '"') ret = this.quotedString();
    else {
      do {
        while (this.peek() === '.') {
          this.buf += '.';
          this.i++;
          if (this.atEnd) {
            ret = 0;
            break;
          }
          ret = this.cfws();
        }
        if (ret === 0 || this.peek() === '@') break;
        ret = this.atom();
      } while (ret > 0 && this.peek() === '.');
    }
    if (ret < 0) return -1;
    this.addr.mailbox = this.buf;
    return ret;
  }

  /** `@` domain (a dot-atom or a domain literal), appended to buf. */
  domainText(): number {
    this.i++;
    if (this.cfws() <= 0) return -1;
    if (this.peek() !== '[') return this.dotAtom();
    const start = this.i;
    for (; this.i < this.s.length; this.i++) {
      if (this.s[this.i] === '\\') this.i++;
      else if (this.s[this.i] === ']') {
        this.i++;
        this.buf += this.s.slice(start, this.i);
        return this.cfws();
      }
    }
    return -1;
  }

  domain(): number {
    this.buf = '';
    const ret = this.domainText();
    if (ret >= 0) this.addr.domain = this.buf;
    return ret;
  }

  /** obs-domain-list: `@a, ,@b` → `@a,@b`. */
  route(): number {
    this.buf = '';
    for (;;) {
      if (this.atEnd) return 0;
      if (this.peek() !== '@') break;
      if (this.buf !== '') this.buf += ',';
      this.buf += '@';
      const ret = this.domainText();
      if (ret <= 0) return ret;
      while (this.cfws() > 0 && this.peek() === ',') this.i++;
    }
    this.addr.route = this.buf;
    return 1;
  }

  angleAddr(): number {
    this.i++;
    if (this.cfws() <= 0) return -1;
    if (this.peek() === '@') {
      if (this.route() > 0 && this.peek() === ':') this.i++;
      else {
        this.addr.route = 'INVALID_ROUTE';
        if (this.atEnd) return -1;
      }
      if (this.cfws() <= 0) return -1;
    }
    if (this.peek() !== '>') {
      if (this.localPart() <= 0) return -1;
      if (this.peek() === '@' && this.domain() <= 0) return -1;
    }
    if (this.peek() !== '>') return -1;
    this.i++;
    return this.cfws();
  }

  nameAddr(): number {
    this.buf = '';
    if (this.phrase() <= 0 || this.peek() !== '<') return -1;
    // `<a@b>` and `"" <a@b>` have no name; a name of blanks (`"  "`) is an empty one (as Dovecot).
    this.addr.name = this.buf === '' ? null : this.buf.trim();
    if (this.angleAddr() < 0) {
      this.addr.domain = 'SYNTAX_ERROR';
      this.addr.invalid = true;
    }
    return this.more();
  }

  addrSpec(): number {
    this.lastComment = '';
    const quoted = this.peek() === '"';
    let ret = this.localPart();
    if (ret <= 0) this.addr.invalid = true;
    let domainRet: number | null = null;
    if (ret !== 0 && this.peek() === '@') {
      domainRet = this.domain();
      if (domainRet <= 0) ret = domainRet;
    }
    if (this.lastComment !== '') this.addr.name = this.lastComment;
    else if (domainRet === null) {
      // A lone word is a local part without domain; more words make it a display name.
      this.buf += ' ';
      const before = this.buf.length;
      this.phrase();
      if (this.buf.length !== before) {
        this.addr.mailbox = null;
        this.addr.name = this.buf;
      } else if (!quoted) this.addr.domain = '';
      this.addr.invalid = true;
      ret = -1;
    }
    return ret;
  }

  push(a: EnvelopeAddress): void {
    this.out.push(a);
    this.addr = AddressReader.empty();
  }

  pushMailbox(): void {
    const a = this.addr;
    const address: EnvelopeAddress = {
      kind: 'mailbox',
      name: a.name,
      mailbox: a.mailbox ?? MISSING_MAILBOX,
      host: a.domain || MISSING_DOMAIN,
    };
    if (a.route !== undefined && a.route !== '') address.route = a.route;
    this.push(address);
  }

  mailbox(): number {
    const start = this.i;
    let ret = this.nameAddr();
    if (ret < 0) {
      this.i = start;
      ret = this.addrSpec();
      const a = this.addr;
      if (a.invalid && a.name === null && a.mailbox !== null && a.domain === null) {
        a.name = a.mailbox;
        a.mailbox = null;
      }
    }
    this.pushMailbox();
    return ret;
  }

  /** After a comma: further commas are null members (RFC 5322 4.4), skipped. */
  nextMember(): number {
    this.i++;
    let ret = this.cfws();
    while (ret > 0 && this.peek() === ',') {
      this.i++;
      ret = this.cfws();
    }
    return ret;
  }

  group(): number {
    this.buf = '';
    if (this.phrase() <= 0 || this.peek() !== ':') return -1;
    const name = this.buf;
    this.i++;
    let ret = this.cfws();
    while (ret > 0 && this.peek() === ',') ret = this.nextMember();
    this.push({ kind: 'group-start', name });
    if (ret > 0 && this.peek() !== ';') {
      for (;;) {
        this.mailbox();
        if (this.atEnd || this.peek() !== ',') break;
        ret = this.nextMember();
        if (ret <= 0) {
          ret = -1;
          break;
        }
        if (this.peek() === ';') break;
      }
    }
    if (ret >= 0) {
      if (this.peek() !== ';') ret = -1;
      else {
        this.i++;
        ret = this.cfws();
      }
    }
    this.push({ kind: 'group-end' });
    return ret === 0 ? 0 : 1;
  }

  address(): number {
    const start = this.i;
    const ret = this.group();
    if (ret >= 0) return ret;
    this.i = start;
    this.addr = AddressReader.empty();
    return this.mailbox();
  }

  list(): EnvelopeAddress[] {
    let ret = this.cfws();
    while (ret > 0 && this.peek() === ',') ret = this.nextMember();
    if (ret <= 0) return this.out;
    for (;;) {
      if (this.address() === 0) break;
      if (this.atEnd || this.peek() !== ',') break;
      ret = this.nextMember();
      if (ret <= 0) {
        // Ends with some garbage (an unterminated comment): one unnamed address marks it.
        if (ret < 0) this.pushMailbox();
        break;
      }
    }
    return this.out;
  }
}

export function parseAddressList(value: string): EnvelopeAddress[] {
  return new AddressReader(value).list();
}

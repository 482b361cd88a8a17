import { isUtf8 } from 'node:buffer';
import type { EnvelopeFields } from '../mailbox.ts';

/** Header names ENVELOPE is built from, mapped to their EnvelopeFields key. */
const ENVELOPE_KEYS: ReadonlyMap<string, keyof EnvelopeFields> = new Map([
  ['date', 'date'],
  ['subject', 'subject'],
  ['from', 'from'],
  ['sender', 'sender'],
  ['reply-to', 'replyTo'],
  ['to', 'to'],
  ['cc', 'cc'],
  ['bcc', 'bcc'],
  ['in-reply-to', 'inReplyTo'],
  ['message-id', 'messageId'],
]);

const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

const CONTENT_PREFIX = Buffer.from('content-');
const MIME_VERSION = Buffer.from('mime-version');

function startsWithIgnoreCase(buf: Buffer, start: number, lower: Buffer): boolean {
  for (let i = 0; i < lower.length; i++) {
    const b = buf[start + i]!;
    const l = lower[i]!;
    if (b !== l && !(l >= 0x61 && l <= 0x7a && (b | 0x20) === l)) return false;
  }
  return true;
}

function lowerName(buf: Buffer, start: number, end: number): string {
  return buf.toString('latin1', start, end).toLowerCase();
}

/** Shared budget so that 10,000 parts cannot each keep 64 KiB of headers. */
export interface HeaderBudget {
  remaining: number;
}

/**
 * Collects, from one header block, only the fields the summary needs (Content-*, MIME-Version
 * and, for a message's own header, the envelope fields), unfolded. Other fields are not kept,
 * so a header block costs memory only for what ends up in the summary.
 */
export class HeaderBlock {
  /** Unfolded fields in order: [lower-case name, raw value in latin1 (byte-preserving)]. */
  private readonly fields: Array<[string, string]> = [];
  private keeping = false;
  private kept = 0;
  private readonly maxBytes: number;
  private readonly budget: HeaderBudget;
  private readonly wantEnvelope: boolean;

  constructor(maxBytes: number, budget: HeaderBudget, wantEnvelope: boolean) {
    this.maxBytes = maxBytes;
    this.budget = budget;
    this.wantEnvelope = wantEnvelope;
  }

  /** Room left for one line's content (the line scanner keeps at most this much of a long line). */
  room(): number {
    return Math.max(0, Math.min(this.maxBytes - this.kept, this.budget.remaining));
  }

  /** `buf[start, end)` is the line, cut to room() by the scanner; `length` is its real length. */
  addLine(buf: Buffer, start: number, end: number, length: number): void {
    const first = buf[start];
    if (first === SP || first === HT) {
      if (this.keeping) this.keep(buf, start, end, length, true);
      return;
    }
    const colon = buf.indexOf(COLON, start);
    if (colon <= start || colon >= end) {
      this.keeping = false;
      return;
    }
    let nameEnd = colon;
    while (nameEnd > start && (buf[nameEnd - 1] === SP || buf[nameEnd - 1] === HT)) nameEnd--;
    const name = this.wantedName(buf, start, nameEnd);
    this.keeping = name !== undefined;
    if (name === undefined) return;
    this.fields.push([name, '']);
    this.keep(buf, colon + 1, end, length - (colon + 1 - start), false);
  }

  /** The lower-case name when the field is wanted; compares bytes so unwanted fields cost no string. */
  private wantedName(buf: Buffer, start: number, end: number): string | undefined {
    const len = end - start;
    if (len >= 8 && startsWithIgnoreCase(buf, start, CONTENT_PREFIX)) return lowerName(buf, start, end);
    if (len === 12 && startsWithIgnoreCase(buf, start, MIME_VERSION)) return 'mime-version';
    if (!this.wantEnvelope || len < 2 || len > 11) return undefined;
    const name = lowerName(buf, start, end);
    return ENVELOPE_KEYS.has(name) ? name : undefined;
  }

  private keep(buf: Buffer, from: number, to: number, length: number, continuation: boolean): void {
    if (length > to - from || length > this.room()) {
      // Over the limit: the whole field is dropped rather than kept cut; offsets are counted elsewhere.
      this.fields.pop();
      this.keeping = false;
      return;
    }
    this.kept += to - from;
    this.budget.remaining -= to - from;
    const last = this.fields[this.fields.length - 1]!;
    const text = buf.toString('latin1', from, to);
    last[1] = continuation ? last[1] + text : text;
  }

  /** First occurrence of each wanted field, values with leading blanks removed. */
  first(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, value] of this.fields) {
      if (out.has(name)) continue;
      let i = 0;
      while (i < value.length && (value.charCodeAt(i) === SP || value.charCodeAt(i) === HT)) i++;
      out.set(name, i === 0 ? value : value.slice(i));
    }
    return out;
  }

  envelope(firsts: Map<string, string>): EnvelopeFields {
    const env: EnvelopeFields = {};
    for (const [name, key] of ENVELOPE_KEYS) {
      const v = firsts.get(name);
      if (v !== undefined) env[key] = headerText(v);
    }
    return env;
  }
}

/**
 * Header bytes were read as latin1 so that parsing sees every byte; what goes into the summary
 * is UTF-8 when the bytes are valid UTF-8 (RFC 6532 headers). Other 8-bit bytes become lone
 * surrogates U+DC80..U+DCFF, one per byte ("surrogateescape"), so a writer can send the very
 * bytes of the message back (IMAP strings are octets: Dovecot does): a latin1 reading would be
 * indistinguishable from UTF-8 text and go out re-encoded. `Buffer.from(s, 'latin1')` still
 * gives the original bytes (it keeps the low byte of each code unit).
 */
export function headerText(latin1: string): string {
  if (!/[^\u0000-\u007f]/.test(latin1)) return latin1;
  const bytes = Buffer.from(latin1, 'latin1');
  if (isUtf8(bytes)) return bytes.toString('utf8');
  return latin1.replace(/[\u0080-\u00ff]/g, (c) => String.fromCharCode(0xdc00 + c.charCodeAt(0)));
}

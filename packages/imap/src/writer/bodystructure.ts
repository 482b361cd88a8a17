/**
 * BODYSTRUCTURE and BODY (RFC 3501 7.4.2) from the summariser's MIME tree, in Dovecot's shape:
 * type and subtype as the tree has them (lower-cased; Dovecot keeps the sender's case), "7bit" when Content-Transfer-Encoding is absent,
 * NIL for empty parameter lists, extension data only for BODYSTRUCTURE.
 */
import type { MimePart } from '@mailstack/core';
import type { WireBuilder } from './encode.ts';
import { writeEnvelope } from './envelope.ts';
import { headerBytes as b, headerBytesOrNil as nb } from './envelope-text.ts';

function params(w: WireBuilder, list: Array<[string, string]>): void {
  if (list.length === 0) {
    w.raw('NIL');
    return;
  }
  w.list(list, ([k, v]) => w.string(b(k)).raw(' ').string(b(v)));
}

function disposition(w: WireBuilder, part: MimePart): void {
  if (!part.disposition) {
    w.raw('NIL');
    return;
  }
  w.raw('(').string(b(part.disposition.type)).raw(' ');
  params(w, part.disposition.params);
  w.raw(')');
}

function language(w: WireBuilder, part: MimePart): void {
  if (!part.language || part.language.length === 0) w.raw('NIL');
  else w.list(part.language, (l) => w.string(b(l)));
}

/** Writes `part` as BODYSTRUCTURE (`extended`) or BODY. */
export function writeBodyStructure(w: WireBuilder, part: MimePart, extended: boolean): void {
  w.raw('(');
  if (part.parts) {
    for (const child of part.parts) writeBodyStructure(w, child, extended);
    w.raw(' ').string(b(part.subtype));
    if (extended) {
      w.raw(' ');
      params(w, part.params);
      w.raw(' ');
      disposition(w, part);
      w.raw(' ');
      language(w, part);
      w.raw(' ').nstring(nb(part.location));
    }
    w.raw(')');
    return;
  }
  w.string(b(part.type)).raw(' ').string(b(part.subtype)).raw(' ');
  params(w, part.params);
  w.raw(' ').nstring(nb(part.id)).raw(' ').nstring(nb(part.description)).raw(' ');
  w.string(b(part.encoding ?? '7bit')).raw(` ${part.bodyEnd - part.bodyStart}`);
  // Only message/rfc822 carries envelope, body and lines: RFC 3501's body-type-msg is
  // "MESSAGE" "RFC822" alone, so an IMAP4rev1 client parses message/global as body-type-basic
  // (Dovecot 2.3 answers so too). IMAP4rev2 (RFC 9051) adds GLOBAL there; not ours to send yet.
  if (part.message && part.subtype === 'rfc822') {
    w.raw(' ');
    writeEnvelope(w, part.message.envelope);
    w.raw(' ');
    writeBodyStructure(w, part.message.body, extended);
    w.raw(` ${part.bodyLines}`);
  } else if (part.type === 'text') {
    w.raw(` ${part.bodyLines}`);
  }
  if (extended) {
    w.raw(' ').nstring(nb(part.md5)).raw(' ');
    disposition(w, part);
    w.raw(' ');
    language(w, part);
    w.raw(' ').nstring(nb(part.location));
  }
  w.raw(')');
}

/**
 * BODYSTRUCTURE and BODY (RFC 3501 7.4.2) from the summariser's MIME tree, in Dovecot's shape:
 * type and subtype as the tree has them, "7bit" when Content-Transfer-Encoding is absent,
 * NIL for empty parameter lists, extension data only for BODYSTRUCTURE.
 */
import type { MimePart } from '@mailstack/core';
import type { WireBuilder } from './encode.ts';
import { writeEnvelope } from './envelope.ts';

function params(w: WireBuilder, list: Array<[string, string]>): void {
  if (list.length === 0) {
    w.raw('NIL');
    return;
  }
  w.list(list, ([k, v]) => w.string(k).raw(' ').string(v));
}

function disposition(w: WireBuilder, part: MimePart): void {
  if (!part.disposition) {
    w.raw('NIL');
    return;
  }
  w.raw('(').string(part.disposition.type).raw(' ');
  params(w, part.disposition.params);
  w.raw(')');
}

function language(w: WireBuilder, part: MimePart): void {
  if (!part.language || part.language.length === 0) w.raw('NIL');
  else w.list(part.language, (l) => w.string(l));
}

/** Writes `part` as BODYSTRUCTURE (`extended`) or BODY. */
export function writeBodyStructure(w: WireBuilder, part: MimePart, extended: boolean): void {
  w.raw('(');
  if (part.parts) {
    for (const child of part.parts) writeBodyStructure(w, child, extended);
    w.raw(' ').string(part.subtype);
    if (extended) {
      w.raw(' ');
      params(w, part.params);
      w.raw(' ');
      disposition(w, part);
      w.raw(' ');
      language(w, part);
      w.raw(' ').nstring(part.location);
    }
    w.raw(')');
    return;
  }
  w.string(part.type).raw(' ').string(part.subtype).raw(' ');
  params(w, part.params);
  w.raw(' ').nstring(part.id).raw(' ').nstring(part.description).raw(' ');
  w.string(part.encoding ?? '7bit').raw(` ${part.bodyEnd - part.bodyStart}`);
  if (part.message) {
    w.raw(' ');
    writeEnvelope(w, part.message.envelope);
    w.raw(' ');
    writeBodyStructure(w, part.message.body, extended);
    w.raw(` ${part.bodyLines}`);
  } else if (part.type === 'text') {
    w.raw(` ${part.bodyLines}`);
  }
  if (extended) {
    w.raw(' ').nstring(part.md5).raw(' ');
    disposition(w, part);
    w.raw(' ');
    language(w, part);
    w.raw(' ').nstring(part.location);
  }
  w.raw(')');
}

import type { MimePart } from '@mailstack/core';
import type { SectionSpec } from '../parser/types.ts';

/** Where a body section's bytes are, in wire-form offsets of the message. */
export type SectionSource =
  | { kind: 'range'; start: number; end: number }
  /** HEADER.FIELDS (NOT): the header bytes are read and filtered. */
  | { kind: 'fields'; start: number; end: number; fields: string[]; not: boolean }
  | { kind: 'nil' };

/**
 * The entity a part path names (RFC 3501 6.4.5): children of a multipart by position, the
 * encapsulated message's parts inside a message/rfc822, and part 1 of a single-part entity
 * is its body itself.
 */
export function findPart(root: MimePart, path: readonly number[]): MimePart | null {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const n = path[i]!;
    let container = node;
    if (i > 0 && !node.parts && node.message) container = node.message.body;
    if (container.parts) {
      const next = container.parts[n - 1];
      if (!next) return null;
      node = next;
    } else if (n === 1) {
      node = container;
    } else {
      return null;
    }
  }
  return node;
}

export function locateSection(root: MimePart, size: number, section: SectionSpec): SectionSource {
  const top = section.part.length === 0;
  const part = top ? root : findPart(root, section.part);
  if (!part) return { kind: 'nil' };
  const spec = section.specifier;
  if (!spec)
    return top
      ? { kind: 'range', start: 0, end: size }
      : { kind: 'range', start: part.bodyStart, end: part.bodyEnd };
  if (spec === 'MIME') {
    if (top) return { kind: 'nil' };
    return { kind: 'range', start: part.headerStart, end: part.bodyStart };
  }
  // HEADER and TEXT of a part address the message inside a message/rfc822 part.
  const msg = top ? root : part.message?.body;
  if (!msg) return { kind: 'nil' };
  if (spec === 'TEXT') return { kind: 'range', start: msg.bodyStart, end: top ? size : msg.bodyEnd };
  if (spec === 'HEADER') return { kind: 'range', start: msg.headerStart, end: msg.bodyStart };
  return {
    kind: 'fields',
    start: msg.headerStart,
    end: msg.bodyStart,
    fields: section.fields ?? [],
    not: spec === 'HEADER.FIELDS.NOT',
  };
}

/** Keeps (or drops, with `not`) the named header fields, then the blank line that ends a header. */
export function filterHeader(header: Buffer, fields: readonly string[], not: boolean): Buffer {
  const wanted = new Set(fields.map((f) => f.toUpperCase()));
  const text = header.toString('latin1');
  const lines = text.split(/(?<=\r\n)/);
  const out: string[] = [];
  let keep = false;
  for (const line of lines) {
    if (line === '\r\n') break;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (keep) out.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    const name = (colon < 0 ? line : line.slice(0, colon)).trim().toUpperCase();
    keep = wanted.has(name) !== not;
    if (keep) out.push(line);
  }
  out.push('\r\n');
  return Buffer.from(out.join(''), 'latin1');
}

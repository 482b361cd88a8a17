/** Typed responses → wire pieces (text buffers and streamed literals). */
import { encodeMailboxUtf7 } from '../mutf7.ts';
import { formatSequenceSet } from '../sequence-set.ts';
import { writeBodyStructure } from './bodystructure.ts';
import { type EncodeOptions, formatDateTime, isFlagText, type Piece, WireBuilder } from './encode.ts';
import { writeEnvelope } from './envelope.ts';
import type { FetchItem, Namespace, Response, ResponseCode } from './types.ts';

export interface SerializeOptions extends EncodeOptions {
  /** Zone of INTERNALDATE, in minutes east of UTC (default 0). */
  timezoneOffset?: number;
}

/** resp-text must stay on one line. */
const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ');

function flags(w: WireBuilder, list: readonly string[]): void {
  w.list(list, (f) => (isFlagText(f) ? w.raw(f) : w.string(f)));
}

function responseCode(w: WireBuilder, rc: ResponseCode): void {
  w.raw(`[${rc.code}`);
  switch (rc.code) {
    case 'UIDVALIDITY':
    case 'UIDNEXT':
    case 'UNSEEN':
    case 'HIGHESTMODSEQ':
    case 'APPENDLIMIT':
      w.raw(` ${rc.value}`);
      break;
    case 'PERMANENTFLAGS':
      w.raw(' ');
      flags(w, rc.flags);
      break;
    case 'CAPABILITY':
      w.raw(` ${rc.capabilities.join(' ')}`);
      break;
    case 'BADCHARSET':
      if (rc.charsets && rc.charsets.length > 0) {
        w.raw(' ').list(rc.charsets, (c) => w.astring(c));
      }
      break;
    case 'APPENDUID':
      w.raw(` ${rc.uidValidity} ${formatSequenceSet(rc.uids, false)}`);
      break;
    case 'COPYUID':
      w.raw(
        ` ${rc.uidValidity} ${formatSequenceSet(rc.source, false)} ${formatSequenceSet(rc.target, false)}`,
      );
      break;
    default:
      break;
  }
  w.raw('] ');
}

function statusLine(w: WireBuilder, status: string, code: ResponseCode | undefined, text: string): void {
  w.raw(`${status} `);
  if (code) responseCode(w, code);
  w.raw(oneLine(text) || status);
}

function mailboxName(w: WireBuilder, name: string): void {
  w.astring(w.options.utf8 ? name : encodeMailboxUtf7(name));
}

function extensionValue(w: WireBuilder, v: unknown): void {
  if (Array.isArray(v)) w.list(v, (x) => extensionValue(w, x));
  else if (typeof v === 'number') w.raw(String(v));
  else if (v === null || v === undefined) w.raw('NIL');
  else w.string(String(v));
}

function namespaces(w: WireBuilder, list: Namespace[] | null): void {
  if (!list || list.length === 0) {
    w.raw('NIL');
    return;
  }
  // Namespace = "(" 1*Namespace_Descr ")": descriptors follow each other without a space.
  w.raw('(');
  for (const ns of list) {
    w.raw('(')
      .string(w.options.utf8 ? ns.prefix : encodeMailboxUtf7(ns.prefix))
      .raw(' ');
    w.nstring(ns.delimiter).raw(')');
  }
  w.raw(')');
}

function fetchItem(w: WireBuilder, item: FetchItem, opts: SerializeOptions): void {
  switch (item.name) {
    case 'UID':
    case 'RFC822.SIZE':
      w.raw(`${item.name} ${item.value}`);
      break;
    case 'MODSEQ':
      w.raw(`MODSEQ (${item.value})`);
      break;
    case 'FLAGS':
      w.raw('FLAGS ');
      flags(w, item.flags);
      break;
    case 'INTERNALDATE':
      w.raw(`INTERNALDATE "${formatDateTime(item.date, opts.timezoneOffset ?? 0)}"`);
      break;
    case 'ENVELOPE':
      w.raw('ENVELOPE ');
      writeEnvelope(w, item.envelope);
      break;
    case 'BODYSTRUCTURE':
    case 'BODY':
      w.raw(`${item.name} `);
      writeBodyStructure(w, item.structure, item.name === 'BODYSTRUCTURE');
      break;
    case 'WIRE':
      w.raw(Buffer.from(item.text, 'latin1'));
      break;
    case 'SECTION': {
      w.raw(`${item.label} `);
      const d = item.data;
      if (d === null) w.raw('NIL');
      else if (typeof d === 'string' || Buffer.isBuffer(d)) {
        // Body data always goes as a literal: it may hold anything.
        const buf = typeof d === 'string' ? Buffer.from(d, 'utf8') : d;
        w.raw(`{${buf.length}}\r\n`).raw(buf);
      } else w.stream(d);
      break;
    }
  }
}

export function serialize(response: Response, opts: SerializeOptions = {}): Piece[] {
  const w = new WireBuilder(opts);
  switch (response.type) {
    case 'tagged':
      w.raw(`${response.tag} `);
      statusLine(w, response.status, response.code, response.text);
      break;
    case 'untagged':
      w.raw('* ');
      statusLine(w, response.status, response.code, response.text);
      break;
    case 'continue':
      w.raw(`+ ${oneLine(response.text)}`);
      break;
    case 'capability':
      w.raw(`* CAPABILITY ${response.capabilities.join(' ')}`);
      break;
    case 'list':
    case 'lsub':
      w.raw(`* ${response.type.toUpperCase()} `);
      w.list(response.attributes, (a) => w.raw(a)).raw(' ');
      w.nstring(response.delimiter).raw(' ');
      mailboxName(w, response.mailbox);
      if (response.extended && response.extended.length > 0) {
        w.raw(' ').list(response.extended, ([tag, values]) => {
          w.string(tag).raw(' ');
          extensionValue(w, values);
        });
      }
      break;
    case 'status':
      w.raw('* STATUS ');
      mailboxName(w, response.mailbox);
      w.raw(' ').list(response.items, ([k, v]) => w.raw(`${k} ${v}`));
      break;
    case 'flags':
      w.raw('* FLAGS ');
      flags(w, response.flags);
      break;
    case 'exists':
    case 'recent':
    case 'expunge':
      w.raw(`* ${response.count} ${response.type.toUpperCase()}`);
      break;
    case 'search':
      w.raw('* SEARCH');
      for (const id of response.ids) w.raw(` ${id}`);
      if (response.modseq !== undefined) w.raw(` (MODSEQ ${response.modseq})`);
      break;
    case 'fetch':
      w.raw(`* ${response.seq} FETCH `);
      w.list(response.items, (item) => fetchItem(w, item, opts));
      break;
    case 'enabled':
      w.raw('* ENABLED');
      for (const c of response.capabilities) w.raw(` ${c}`);
      break;
    case 'namespace':
      w.raw('* NAMESPACE ');
      namespaces(w, response.personal);
      w.raw(' ');
      namespaces(w, response.other);
      w.raw(' ');
      namespaces(w, response.shared);
      break;
    case 'id':
      w.raw('* ID ');
      if (!response.params || response.params.length === 0) w.raw('NIL');
      else w.list(response.params, ([k, v]) => w.string(k).raw(' ').nstring(v));
      break;
  }
  w.raw('\r\n');
  return w.finish();
}

/** The whole response as one buffer; for responses without streamed literals (and tests). */
export function serializeToBuffer(response: Response, opts: SerializeOptions = {}): Buffer {
  const pieces = serialize(response, opts);
  const bufs = pieces.map((p) => {
    if (!Buffer.isBuffer(p)) throw new TypeError('serializeToBuffer: response holds a streamed literal');
    return p;
  });
  return Buffer.concat(bufs);
}

/** The typed responses the writer serialises (RFC 3501 section 7 and the listed extensions). */

import type { Readable } from 'node:stream';
import type { EnvelopeFields, MimePart } from '@mailstack/core';

export type ResponseCode =
  | {
      code:
        | 'ALERT'
        | 'PARSE'
        | 'READ-ONLY'
        | 'READ-WRITE'
        | 'TRYCREATE'
        | 'TOOBIG'
        | 'CLIENTBUG'
        | 'CANNOT'
        | 'NONEXISTENT'
        | 'ALREADYEXISTS'
        | 'AUTHENTICATIONFAILED'
        | 'AUTHORIZATIONFAILED'
        | 'UNAVAILABLE'
        | 'SERVERBUG'
        | 'INUSE'
        | 'EXPUNGEISSUED'
        | 'NOPERM'
        | 'LIMIT'
        | 'OVERQUOTA'
        | 'CONTACTADMIN'
        | 'PRIVACYREQUIRED'
        | 'EXPIRED'
        | 'CORRUPTION'
        | 'HASCHILDREN'
        | 'UIDNOTSTICKY'
        | 'CLOSED'
        | 'USEATTR';
    }
  | { code: 'UIDVALIDITY' | 'UIDNEXT' | 'UNSEEN' | 'HIGHESTMODSEQ' | 'APPENDLIMIT'; value: number }
  | { code: 'PERMANENTFLAGS'; flags: string[] }
  | { code: 'CAPABILITY'; capabilities: string[] }
  | { code: 'BADCHARSET'; charsets?: string[] }
  /** RFC 4315; `uids` in the order assigned. */
  | { code: 'APPENDUID'; uidValidity: number; uids: number[] }
  /** RFC 4315; `source[i]` became `target[i]`. */
  | { code: 'COPYUID'; uidValidity: number; source: number[]; target: number[] };

export type Status = 'OK' | 'NO' | 'BAD';

/** A literal body read from the store: exactly `length` bytes come from `stream`. */
export interface StreamedLiteral {
  stream: Readable;
  length: number;
}

export type FetchItem =
  | { name: 'UID' | 'RFC822.SIZE' | 'MODSEQ'; value: number }
  | { name: 'FLAGS'; flags: string[] }
  | { name: 'INTERNALDATE'; date: Date }
  | { name: 'ENVELOPE'; envelope: EnvelopeFields }
  /** BODYSTRUCTURE carries extension data; BODY (no section) does not. */
  | { name: 'BODYSTRUCTURE' | 'BODY'; structure: MimePart }
  /**
   * An item already serialised (see writer/cached.ts), written as is: `text` holds the
   * wire bytes one char per byte (latin1), e.g. `ENVELOPE (...)` kept in the store's text cache.
   */
  | { name: 'WIRE'; text: string }
  /**
   * A body section: `label` is what the response names it (see formatSectionLabel), e.g.
   * `BODY[1.2]<0>`, `RFC822.TEXT`; `data` null is NIL.
   */
  | { name: 'SECTION'; label: string; data: Buffer | string | StreamedLiteral | null };

export interface Namespace {
  prefix: string;
  delimiter: string | null;
}

export type Response =
  | { type: 'tagged'; tag: string; status: Status; code?: ResponseCode; text: string }
  | { type: 'untagged'; status: Status | 'PREAUTH' | 'BYE'; code?: ResponseCode; text: string }
  /** `+ text`; for AUTHENTICATE challenges pass the base64 as text (may be empty). */
  | { type: 'continue'; text: string }
  | { type: 'capability'; capabilities: string[] }
  | {
      type: 'list' | 'lsub';
      attributes: string[];
      delimiter: string | null;
      /** UTF-8; the writer encodes modified UTF-7. */
      mailbox: string;
      /** RFC 5258 extended data, e.g. CHILDINFO: [['CHILDINFO', ['SUBSCRIBED']]]. */
      extended?: Array<[string, unknown[]]>;
    }
  | { type: 'status'; mailbox: string; items: Array<[string, number]> }
  | { type: 'flags'; flags: string[] }
  | { type: 'exists' | 'recent' | 'expunge'; count: number }
  | { type: 'search'; ids: number[]; modseq?: number }
  | { type: 'fetch'; seq: number; items: FetchItem[] }
  | { type: 'enabled'; capabilities: string[] }
  | { type: 'namespace'; personal: Namespace[] | null; other: Namespace[] | null; shared: Namespace[] | null }
  | { type: 'id'; params: Array<[string, string | null]> | null };

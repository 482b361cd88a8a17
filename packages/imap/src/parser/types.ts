/**
 * The typed commands the parser produces. `Command` is a union discriminated by `name`, so a
 * handler for one verb gets exactly its argument shape: `CommandOf<'FETCH'>`.
 */
import type { SequenceSet } from '../sequence-set.ts';
import type { ResponseCode } from '../writer/types.ts';

/** A generic parenthesised value: SELECT/LIST parameters, ID fields, extension data. */
export type ListValue = string | Buffer | null | ListValue[];

export interface SectionSpec {
  /** Part path, e.g. [1, 2] for BODY[1.2...]; empty for the whole message. */
  part: number[];
  specifier?: 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';
  /** Upper-cased field names for HEADER.FIELDS(.NOT). */
  fields?: string[];
}

export interface Partial {
  offset: number;
  length: number;
}

export type SimpleFetchName =
  | 'ENVELOPE'
  | 'FLAGS'
  | 'INTERNALDATE'
  | 'RFC822'
  | 'RFC822.HEADER'
  | 'RFC822.SIZE'
  | 'RFC822.TEXT'
  | 'BODY'
  | 'BODYSTRUCTURE'
  | 'UID'
  | 'MODSEQ';

export type FetchAttribute =
  | { kind: 'simple'; name: SimpleFetchName }
  | {
      kind: 'section';
      /** BINARY/BINARY.SIZE (RFC 3516) are recognised; serving them comes later. */
      name: 'BODY' | 'BINARY' | 'BINARY.SIZE';
      peek: boolean;
      section: SectionSpec;
      partial?: Partial;
    };

/** A search date (RFC 3501 date) as 'YYYY-MM-DD'; compares as a string. */
export type SearchDate = string;

export type SearchFlagKey =
  | 'ALL'
  | 'ANSWERED'
  | 'DELETED'
  | 'DRAFT'
  | 'FLAGGED'
  | 'NEW'
  | 'OLD'
  | 'RECENT'
  | 'SEEN'
  | 'UNANSWERED'
  | 'UNDELETED'
  | 'UNDRAFT'
  | 'UNFLAGGED'
  | 'UNSEEN';

export type SearchKey =
  | { key: SearchFlagKey }
  | { key: 'KEYWORD' | 'UNKEYWORD'; flag: string }
  | { key: 'BCC' | 'BODY' | 'CC' | 'FROM' | 'SUBJECT' | 'TEXT' | 'TO'; value: string }
  | { key: 'HEADER'; field: string; value: string }
  | { key: 'BEFORE' | 'ON' | 'SINCE' | 'SENTBEFORE' | 'SENTON' | 'SENTSINCE'; date: SearchDate }
  | { key: 'LARGER' | 'SMALLER'; size: number }
  | { key: 'UID'; set: SequenceSet }
  | { key: 'SEQ'; set: SequenceSet }
  | { key: 'NOT'; operand: SearchKey }
  | { key: 'OR'; left: SearchKey; right: SearchKey }
  | { key: 'AND'; operands: SearchKey[] };

export type StatusItem =
  | 'MESSAGES'
  | 'RECENT'
  | 'UIDNEXT'
  | 'UIDVALIDITY'
  | 'UNSEEN'
  | 'SIZE'
  | 'DELETED'
  | 'HIGHESTMODSEQ'
  | 'APPENDLIMIT';

/** Every command's name and argument shape. */
export interface CommandArgsMap {
  CAPABILITY: Record<string, never>;
  NOOP: Record<string, never>;
  LOGOUT: Record<string, never>;
  STARTTLS: Record<string, never>;
  AUTHENTICATE: { mechanism: string; initialResponse?: string };
  LOGIN: { user: string; password: string };
  SELECT: { mailbox: string; params: ListValue[] };
  EXAMINE: { mailbox: string; params: ListValue[] };
  CREATE: { mailbox: string; params: ListValue[] };
  DELETE: { mailbox: string };
  RENAME: { from: string; to: string };
  SUBSCRIBE: { mailbox: string };
  UNSUBSCRIBE: { mailbox: string };
  LIST: {
    reference: string;
    patterns: string[];
    /** RFC 5258 selection options, upper-cased (e.g. SUBSCRIBED, RECURSIVEMATCH, SPECIAL-USE). */
    selection: string[];
    /** RFC 5258 return options, upper-cased (e.g. SUBSCRIBED, CHILDREN, SPECIAL-USE). */
    return: string[];
    /** STATUS items asked with RETURN (STATUS (...)) (RFC 5819). */
    returnStatus?: StatusItem[];
  };
  LSUB: { reference: string; pattern: string };
  STATUS: { mailbox: string; items: StatusItem[] };
  /** `message` is the bytes, or with the `streamAppend` option a literal still to come. */
  APPEND: {
    mailbox: string;
    flags: string[];
    date?: Date;
    message: Buffer | IncomingLiteral;
    binary: boolean;
  };
  CHECK: Record<string, never>;
  CLOSE: Record<string, never>;
  UNSELECT: Record<string, never>;
  /** `uids` only for UID EXPUNGE (RFC 4315). */
  EXPUNGE: { uids?: SequenceSet };
  SEARCH: { charset?: string; criteria: SearchKey; return?: string[] };
  FETCH: {
    set: SequenceSet;
    attributes: FetchAttribute[];
    macro?: 'ALL' | 'FAST' | 'FULL';
    modifiers: ListValue[];
  };
  STORE: { set: SequenceSet; op: '+' | '-' | '='; silent: boolean; flags: string[]; modifiers: ListValue[] };
  COPY: { set: SequenceSet; mailbox: string };
  MOVE: { set: SequenceSet; mailbox: string };
  IDLE: Record<string, never>;
  NAMESPACE: Record<string, never>;
  ENABLE: { capabilities: string[] };
  ID: { params: Array<[string, string | null]> | null };
}

/**
 * An APPEND message the parser hands over as it arrives (option `streamAppend`): the command
 * comes first, then `literal-data` events, then one `literal-end`. For a synchronizing
 * literal the session sends `+` (or refuses with `refuseLiteral()`) once it has looked at the
 * command, e.g. after checking the target mailbox exists.
 */
export interface IncomingLiteral {
  kind: 'streamed';
  size: number;
  /** Synchronizing `{n}`: the client waits for `+`. False for LITERAL+ `{n+}`. */
  sync: boolean;
}

export type CommandName = keyof CommandArgsMap;

export type CommandOf<N extends CommandName> = {
  tag: string;
  name: N;
  /** True for the UID form (UID FETCH/SEARCH/STORE/COPY/MOVE/EXPUNGE): the set holds UIDs. */
  uid: boolean;
  args: CommandArgsMap[N];
};

export type Command = { [N in CommandName]: CommandOf<N> }[CommandName];

export type ParserEvent =
  | { kind: 'command'; command: Command }
  /** A synchronizing literal was announced: the session sends `+ <text>` so the client goes on. */
  | {
      kind: 'continue';
      tag: string;
      text: string;
      /** The command word (`APPEND`, `LOGIN`, `UID SEARCH`...) and the announced size, so a
       * session can refuse early (APPENDLIMIT, quota) with `refuseLiteral()` instead of `+`. */
      command: string;
      size: number;
    }
  /** One line read in line mode (AUTHENTICATE responses, IDLE's DONE), without CRLF. */
  | { kind: 'line'; line: string }
  /** Bytes of a streamed APPEND message, in order (a view of the received chunk). */
  | { kind: 'literal-data'; data: Buffer }
  /**
   * The streamed message is complete and the command line ended. `ok: false` when something
   * followed the message (MULTIAPPEND is not supported): the session answers BAD, and closes
   * when `fatal` (a LITERAL+ literal of that unsupported tail is on its way).
   */
  | { kind: 'literal-end'; ok: true }
  | { kind: 'literal-end'; ok: false; text: string; fatal: boolean }
  | ParseError;

export interface ParseError {
  kind: 'error';
  /** The tag when it could be read: the session answers `tag BAD ...`, else `* BAD ...`. */
  tag?: string;
  status: 'BAD' | 'NO';
  code?: ResponseCode;
  text: string;
  /**
   * The stream can no longer be framed (a non-synchronizing literal that is refused is on its
   * way, or a line overflowed): the session answers and closes the connection.
   */
  fatal: boolean;
}

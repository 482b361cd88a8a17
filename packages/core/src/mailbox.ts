import type { Readable } from 'node:stream';
import type { MessageBlob } from './blob.ts';

/** RFC 6154 special-use attributes. */
export type SpecialUse = '\\Sent' | '\\Drafts' | '\\Trash' | '\\Junk' | '\\Archive' | '\\All' | '\\Flagged';

/** IMAP system flags; any other flag string is a keyword. `\Recent` is session state, not stored. */
export const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'] as const;

/** What every listing gives for one message, from the folder's index without opening files. */
export interface MessageMeta {
  uid: number;
  /**
   * System flags and keywords, e.g. ['\\Seen', '$Forwarded']. A store may share one frozen
   * array between messages with the same flags: copy it before changing it.
   */
  flags: string[];
  /** Size in the wire form (CRLF line ends): RFC822.SIZE. */
  size: number;
  internalDate: Date;
  /**
   * The folder's modseq at this message's last change (append or flags): RFC 7162's
   * per-message MODSEQ, persistent across restarts, never reused within a UIDVALIDITY.
   */
  modseq: number;
}

/** The raw (unfolded, undecoded) header values IMAP's ENVELOPE is built from. */
export interface EnvelopeFields {
  date?: string;
  subject?: string;
  from?: string;
  sender?: string;
  replyTo?: string;
  to?: string;
  cc?: string;
  bcc?: string;
  inReplyTo?: string;
  messageId?: string;
}

/**
 * One MIME entity. Offsets and sizes are in the wire form (CRLF), counted from byte 0 of
 * the message, so BODY[1.2] and partial fetches are a range read.
 */
export interface MimePart {
  headerStart: number;
  bodyStart: number;
  bodyEnd: number;
  /** Lines in the body (for text/* and message/rfc822 BODYSTRUCTURE). */
  bodyLines: number;
  /** Lower-cased; `text`/`plain` when Content-Type is missing or broken. */
  type: string;
  subtype: string;
  /** Content-Type parameters in header order; names lower-cased, RFC 2231 continuations joined. */
  params: Array<[string, string]>;
  id?: string;
  description?: string;
  encoding?: string;
  md5?: string;
  disposition?: { type: string; params: Array<[string, string]> };
  language?: string[];
  location?: string;
  /** Children of a multipart. */
  parts?: MimePart[];
  /** The encapsulated message of a message/rfc822 part. */
  message?: { envelope: EnvelopeFields; body: MimePart };
}

/** The per-message parse kept in the folder's metadata cache: built once, never re-parsed. */
export interface MessageSummary {
  envelope: EnvelopeFields;
  structure: MimePart;
}

/** A change in a folder, in the order it happened; `modseq` grows with every change. */
export type FolderChange =
  | { modseq: number; kind: 'append'; uids: number[] }
  | { modseq: number; kind: 'flags'; uid: number; flags: string[] }
  | { modseq: number; kind: 'expunge'; uids: number[] };

/**
 * What changed in a folder after a given modseq (CONDSTORE/QRESYNC's "changes since"):
 * the current meta of every message appended or re-flagged since, and the UIDs expunged since.
 */
export interface FolderDelta {
  /** Messages appended or whose flags changed after the modseq, in UID order. */
  changed: readonly MessageMeta[];
  /** UIDs expunged after the modseq, ascending. */
  expunged: readonly number[];
}

export interface FolderInfo {
  /** Name in the store's view: `/` separated, UTF-8 (IMAP encodes modified UTF-7 on its side). */
  name: string;
  specialUse?: SpecialUse;
  subscribed: boolean;
}

export interface AppendOptions {
  flags?: string[];
  internalDate?: Date;
  /**
   * Leaves the message for a session to claim as \Recent (`claimRecent`) even when flags are
   * given (IMAP APPEND). Without it a message stored with flags is nobody's \Recent.
   */
  recent?: boolean;
}

export interface Quota {
  usedBytes: number;
  usedMessages: number;
  limitBytes?: number;
  limitMessages?: number;
}

/** The mailbox store seam: Maildir is the embedded default. */
export interface MailboxStore {
  listFolders(user: string): Promise<FolderInfo[]>;
  createFolder(user: string, name: string, specialUse?: SpecialUse): Promise<void>;
  /** Deletes the folder and its messages; children stay (RFC 3501 DELETE). */
  deleteFolder(user: string, name: string): Promise<void>;
  /** Renames with children; renaming INBOX moves its messages into a new folder. */
  renameFolder(user: string, from: string, to: string): Promise<void>;
  setSubscribed(user: string, name: string, subscribed: boolean): Promise<void>;
  openFolder(user: string, name: string): Promise<Folder>;
  /**
   * Durable delivery into a folder (INBOX when omitted): resolves once the message is
   * fsynced and visible. Throws an OverQuotaError (a core StorageError) when over quota.
   */
  deliver(
    user: string,
    blob: MessageBlob,
    options?: AppendOptions & { folder?: string },
  ): Promise<{ folder: string; uid: number }>;
  quota(user: string): Promise<Quota>;
  /**
   * Exclusive access to the user's maildrop for one POP3 session (RFC 1939), seen by every
   * process that opens the same store: resolves with its release, or null while another
   * session holds it. A store without it gets a lock inside one process only.
   */
  lockMaildrop?(user: string): Promise<(() => Promise<void>) | null>;
}

/**
 * One open folder: a session's handle on the folder's index. The index is shared by every
 * handle of a process and persisted, so opening a folder a second time costs no scan.
 * The handle shows the index as of its last `refresh()` or own change.
 */
export interface Folder {
  readonly user: string;
  readonly name: string;
  readonly uidValidity: number;
  /** The next UID the folder will assign. */
  readonly uidNext: number;
  /** The folder's modseq as of the last refresh or own change (RFC 7162 HIGHESTMODSEQ). */
  readonly highestModseq: number;
  /**
   * Messages in UID order, as of the last refresh or own change. The array is immutable and
   * shared: the same object is returned until the folder changes, so a session may keep it.
   */
  messages(): readonly MessageMeta[];
  /**
   * Reads what other sessions and processes did; returns their changes in order (including
   * those an own operation brought into `messages()` since the last refresh). The handle's
   * own changes are in `messages()` at once and are not reported.
   */
  refresh(): Promise<FolderChange[]>;
  /**
   * What changed after `modseq` and up to `highestModseq` (as of the last refresh or own
   * change); null when the expunge log no longer reaches back that far (the caller compares
   * full lists instead).
   */
  changesSince(modseq: number): FolderDelta | null;
  /** Every keyword the folder has defined (in use or not): IMAP's FLAGS names them all. */
  keywords(): readonly string[];
  /**
   * Stores a message. Opens `blob` once and reads it to the end: IMAP hands over a one-shot
   * blob streaming the APPEND literal off the socket, so an implementation that needs the
   * bytes twice must keep its own copy (a tmp file), not call `open()` again.
   */
  append(blob: MessageBlob, options?: AppendOptions): Promise<{ uid: number }>;
  /** The message in wire form (CRLF); `start`/`end` are wire-form byte offsets. */
  read(uid: number, range?: { start: number; end?: number }): Readable;
  summary(uid: number): Promise<MessageSummary>;
  /** The ENVELOPE fields, from the header alone (cheaper than a full summary). */
  envelope(uid: number): Promise<EnvelopeFields>;
  /**
   * A small per-message text cache for what a protocol derives from a message once and sends
   * often (IMAP keeps its ENVELOPE and BODYSTRUCTURE ready to send). Opaque to the store,
   * persisted with the message's index entry and dropped with it; `cacheText` may batch its
   * writes. Undefined when absent (or the message is gone).
   */
  cachedText(uid: number, key: string): string | undefined;
  cacheText(uid: number, key: string, value: string): void;
  setFlags(uids: number[], op: '+' | '-' | '=', flags: string[]): Promise<MessageMeta[]>;
  /** Copies into another folder; returns [sourceUid, targetUid] pairs. */
  copy(uids: number[], target: Folder): Promise<Array<[number, number]>>;
  move(uids: number[], target: Folder): Promise<Array<[number, number]>>;
  /** Removes the given messages (all \Deleted ones when omitted); returns removed UIDs. */
  expunge(uids?: number[]): Promise<number[]>;
  /**
   * Claims messages no other session has seen as \Recent (new/ → cur/ in Maildir):
   * exactly one caller across processes gets each UID.
   */
  claimRecent(): Promise<number[]>;
  /** Messages no session has claimed yet, as of the last refresh (IMAP STATUS RECENT). Optional. */
  unclaimedRecent?(): number;
  /** Calls back when other sessions or processes change the folder; returns an unsubscribe. */
  watch(onChange: () => void): () => void;
  close(): Promise<void>;
}

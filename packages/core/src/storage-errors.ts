import { SmtpError } from './reply.ts';

/**
 * What a store, spool or directory can refuse, whatever its backend. Protocol code maps a
 * refusal to its own reply in one place (IMAP response codes, POP3 -ERR, SMTP/LMTP 4xx/5xx)
 * and never names a backend's classes.
 *
 * - `not-found`: no such folder, message, queue entry or account.
 * - `exists`: creating what is already there.
 * - `invalid-name`: a name the backend cannot hold or that would leave the user's space.
 * - `over-quota`: the user's quota (bytes or messages) would be exceeded.
 * - `no-space`: the backend itself is full (disk, database): temporary by nature.
 * - `limit`: a backend limit other than quota (Maildir's 26 keywords per folder).
 * - `temporary`: the backend cannot answer now (a lock held too long, a database restarting).
 */
export type StorageRefusal =
  | 'not-found'
  | 'exists'
  | 'invalid-name'
  | 'over-quota'
  | 'no-space'
  | 'limit'
  | 'temporary';

/**
 * Marks every refusal, also across two copies of this package in one process (a consumer's
 * node_modules may hold more than one): checked by `storageRefusal`, not `instanceof`.
 */
const REFUSAL = Symbol.for('@mailstack/core.storage-refusal');

/** A refusal of a store, spool or directory. Subclasses fix `kind`. */
export class StorageError extends Error {
  readonly kind: StorageRefusal;
  readonly [REFUSAL]: StorageRefusal;

  constructor(kind: StorageRefusal, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.kind = kind;
    this[REFUSAL] = kind;
  }
}

/** No such folder, message, queue entry or account. */
export class NotFoundError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not-found', message, options);
    this.name = 'NotFoundError';
  }
}

/** Creating what already exists. */
export class ExistsError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('exists', message, options);
    this.name = 'ExistsError';
  }
}

/** A folder or user name the backend cannot hold, or one that would escape the user's space. */
export class InvalidNameError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid-name', message, options);
    this.name = 'InvalidNameError';
  }
}

/** The user's quota would be exceeded. Permanent for this message unless the user frees room. */
export class OverQuotaError extends StorageError {
  constructor(message = 'Mailbox is over quota', options?: { cause?: unknown }) {
    super('over-quota', message, options);
    this.name = 'OverQuotaError';
  }
}

/** A backend limit other than quota was reached (Maildir: 26 keywords per folder). */
export class LimitError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('limit', message, options);
    this.name = 'LimitError';
  }
}

/** The backend cannot serve the request now; the same request may succeed later. */
export class TemporaryStorageError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('temporary', message, options);
    this.name = 'TemporaryStorageError';
  }
}

/**
 * The disk (or the file system quota) is full: a store or spool could not write. Temporary
 * by nature, since expunging or a cleanup frees space, so it carries `452 4.3.1` (RFC 3463
 * "mail system full") for SMTP and LMTP; IMAP maps it to `NO [OVERQUOTA]`. It stays an
 * SmtpError for the SMTP servers built on that type, and is a `no-space` refusal.
 */
export class NoSpaceError extends SmtpError {
  readonly kind = 'no-space' as const;
  readonly [REFUSAL] = 'no-space' as const;

  constructor(options?: { cause?: unknown }) {
    super(452, '4.3.1', 'Insufficient system storage');
    this.name = 'NoSpaceError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** ENOSPC or EDQUOT from the file system: the errors that mean "no room to write". */
export function isNoSpace(err: unknown): boolean {
  return storageRefusal(err) === 'no-space';
}

/** A file-system "no room" error as a NoSpaceError; anything else unchanged. */
export function asNoSpace(err: unknown): unknown {
  return isNoSpace(err) && !(err instanceof NoSpaceError) ? new NoSpaceError({ cause: err }) : err;
}

/**
 * The refusal an error stands for, or undefined for anything else (a bug, an unexpected I/O
 * error). File-system "no room" errors count as `no-space`.
 */
export function storageRefusal(err: unknown): StorageRefusal | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const marked = (err as { [REFUSAL]?: StorageRefusal })[REFUSAL];
  if (marked !== undefined) return marked;
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT' ? 'no-space' : undefined;
}

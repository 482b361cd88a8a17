import { SmtpError } from './reply.ts';

/**
 * The disk (or the file system quota) is full: a store or spool could not write. Temporary
 * by nature, since expunging or a cleanup frees space, so it carries `452 4.3.1` (RFC 3463
 * "mail system full") for SMTP and LMTP; IMAP maps it to `NO [OVERQUOTA]`.
 */
export class NoSpaceError extends SmtpError {
  constructor(options?: { cause?: unknown }) {
    super(452, '4.3.1', 'Insufficient system storage');
    this.name = 'NoSpaceError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** ENOSPC or EDQUOT from the file system: the errors that mean "no room to write". */
export function isNoSpace(err: unknown): boolean {
  if (err instanceof NoSpaceError) return true;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** A file-system "no room" error as a NoSpaceError; anything else unchanged. */
export function asNoSpace(err: unknown): unknown {
  return isNoSpace(err) && !(err instanceof NoSpaceError) ? new NoSpaceError({ cause: err }) : err;
}

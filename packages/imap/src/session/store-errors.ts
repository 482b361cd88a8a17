import { storageRefusal } from '@mailstack/core';
import type { ResponseCode } from '../writer/types.ts';

/**
 * The one place a store refusal becomes an IMAP response code (RFC 5530), by its core
 * refusal kind only: protocol code depends on the MailboxStore seam, never on one backend's
 * classes. Anything that is not a refusal is a server bug.
 */
export function storeErrorCode(err: unknown): { code: ResponseCode; text: string } {
  const refusal = storageRefusal(err);
  switch (refusal) {
    case 'not-found':
      return { code: { code: 'NONEXISTENT' }, text: refusalText(err) };
    case 'exists':
      return { code: { code: 'ALREADYEXISTS' }, text: refusalText(err) };
    case 'invalid-name':
      return { code: { code: 'CANNOT' }, text: refusalText(err) };
    case 'limit':
      return { code: { code: 'LIMIT' }, text: refusalText(err) };
    case 'over-quota':
      return { code: { code: 'OVERQUOTA' }, text: refusalText(err) };
    // A full disk is not a quota, but the client's remedy is the same (expunge, then retry),
    // and Dovecot answers it this way too.
    case 'no-space':
      return { code: { code: 'OVERQUOTA' }, text: 'not enough disk space' };
    case 'temporary':
      return { code: { code: 'UNAVAILABLE' }, text: 'mailbox temporarily unavailable; try again later' };
    case undefined:
      return { code: { code: 'SERVERBUG' }, text: 'internal error' };
  }
}

/** True for a refusal: expected, answered NO, not logged as a failure of ours. */
export function isRefusal(err: unknown): boolean {
  return storageRefusal(err) !== undefined;
}

export function isNotFound(err: unknown): boolean {
  return storageRefusal(err) === 'not-found';
}

/**
 * A refusal's own message, which says what was refused ("No such mailbox: Work"), kept to
 * what resp-text can carry: printable US-ASCII on one line (RFC 3501 TEXT-CHAR).
 */
function refusalText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/[^\x20-\x7e]+/g, '?').slice(0, 200) || 'refused';
}

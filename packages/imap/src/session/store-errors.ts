import { isNoSpace } from '@mailstack/core';
import type { ResponseCode } from '../writer/types.ts';

/**
 * Maps a store failure to a response code by the error's name, so protocol code depends on
 * the MailboxStore seam only, not on one implementation's classes.
 */
export function storeErrorCode(err: unknown): { code?: ResponseCode; text: string } {
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  // Before SmtpError (NoSpaceError is one): a full disk is not a quota, but the client's
  // remedy is the same (expunge, then retry), and Dovecot answers it this way too.
  if (isNoSpace(err)) return { code: { code: 'OVERQUOTA' }, text: 'not enough disk space' };
  switch (name) {
    case 'FolderNotFoundError':
      return { code: { code: 'NONEXISTENT' }, text: 'no such mailbox' };
    case 'FolderExistsError':
      return { code: { code: 'ALREADYEXISTS' }, text: 'mailbox already exists' };
    case 'InvalidNameError':
      return { code: { code: 'CANNOT' }, text: 'invalid mailbox name' };
    case 'TooManyKeywordsError':
      return { code: { code: 'LIMIT' }, text: 'too many keywords in this mailbox' };
    case 'MaildirError':
      return { code: { code: 'CANNOT' }, text: message };
    case 'SmtpError':
      return { code: { code: 'OVERQUOTA' }, text: 'over quota' };
    default:
      return { code: { code: 'SERVERBUG' }, text: 'internal error' };
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof Error && err.name === 'FolderNotFoundError';
}

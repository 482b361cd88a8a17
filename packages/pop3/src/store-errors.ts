import { storageRefusal } from '@mailstack/core';

/**
 * The one place a store failure becomes a POP3 `-ERR` text, by the core refusal kind only
 * (never a backend's classes), with RFC 3206 response codes: `[SYS/TEMP]` when trying again
 * later can help (the store is busy or out of space, or failed in a way we cannot tell),
 * `[SYS/PERM]` when it cannot (the maildrop's name or size is refused by the store). A
 * message gone since login has no code: the client asked for something that is not there.
 * `[IN-USE]` is not a store failure: it answers a maildrop lock held by another session.
 */
export function storeErrText(err: unknown, doing: string): string {
  switch (storageRefusal(err)) {
    case 'not-found':
      return `${doing}: no longer there`;
    case 'invalid-name':
    case 'exists':
    case 'limit':
    case 'over-quota':
      return `[SYS/PERM] ${doing}`;
    default:
      return `[SYS/TEMP] ${doing}`;
  }
}

import { storeErrorCode } from '../session/store-errors.ts';
import type { Completion } from './types.ts';
import { no } from './types.ts';

export function failed(err: unknown): Completion {
  const e = storeErrorCode(err);
  return no(e.text, e.code);
}

/**
 * A new mailbox name with LIST's wildcards (`*`, `%`) could never be listed or matched on
 * its own (RFC 3501 5.1: names should not contain them); Dovecot refuses them, so do we.
 */
export function refusedNewName(name: string): Completion | null {
  return /[*%]/.test(name) ? no('mailbox names may not contain * or %', { code: 'CANNOT' }) : null;
}

/** A trailing delimiter only says "I will create children" (RFC 3501 6.3.3). */
export function trimDelimiter(name: string): string {
  return name.endsWith('/') ? name.slice(0, -1) : name;
}

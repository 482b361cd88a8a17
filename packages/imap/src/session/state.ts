import type { MailboxView } from './mailbox-view.ts';

/** RFC 3501 section 3 states a command may be valid in (LOGOUT ends the connection). */
export type StateName = 'not-authenticated' | 'authenticated' | 'selected';

/** The session state: a selected mailbox exists only in `selected`. */
export type SessionState =
  | { name: 'not-authenticated' }
  | { name: 'authenticated'; user: string }
  | { name: 'selected'; user: string; view: MailboxView };

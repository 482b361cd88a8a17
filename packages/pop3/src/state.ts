import type { Maildrop } from './maildrop.ts';

/** RFC 1939 session states; a command declares the ones it is valid in. */
export type StateName = 'authorization' | 'transaction' | 'update';

/** The session state: what exists in one state cannot be reached from another. */
export type SessionState =
  | {
      name: 'authorization';
      /** The name given by USER, waiting for PASS. */
      pendingUser?: string;
    }
  | {
      name: 'transaction';
      user: string;
      maildrop: Maildrop;
      /** Gives the maildrop lock back; safe to call twice. */
      release: () => Promise<void>;
    }
  | { name: 'update'; user: string };

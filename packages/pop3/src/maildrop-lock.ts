import type { MailboxStore } from '@mailstack/core';

/**
 * RFC 1939 exclusive-access lock on a user's maildrop, held from login to the end of the
 * session. Kept per store object, so every POP3 listener of one process over the same store
 * (110 and 995) shares it. Only one process: the MailboxStore seam has no lock API, so two
 * processes serving the same data folder do not see each other's locks (see README).
 */
const locksByStore = new WeakMap<MailboxStore, Set<string>>();

/** Takes the lock; returns its release function, or null when another session holds it. */
export function lockMaildrop(store: MailboxStore, user: string): (() => void) | null {
  let held = locksByStore.get(store);
  if (!held) {
    held = new Set();
    locksByStore.set(store, held);
  }
  const key = user.toLowerCase();
  if (held.has(key)) return null;
  held.add(key);
  let released = false;
  const set = held;
  return () => {
    if (released) return;
    released = true;
    set.delete(key);
  };
}

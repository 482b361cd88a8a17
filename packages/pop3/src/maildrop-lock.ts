import type { MailboxStore } from '@mailstack/core';

/**
 * RFC 1939 exclusive-access lock on a user's maildrop, held from login to the end of the
 * session. A store that offers `lockMaildrop` (the Maildir store: a lock file in the user's
 * Maildir) makes it one lock for every process over the same data folder, so a POP3 session
 * in another process gets -ERR [IN-USE] too. A store without it (test fakes) gets a lock kept
 * per store object, which every POP3 listener of one process over that store shares.
 */
const locksByStore = new WeakMap<MailboxStore, Set<string>>();

function lockInProcess(store: MailboxStore, user: string): (() => Promise<void>) | null {
  let held = locksByStore.get(store);
  if (!held) {
    held = new Set();
    locksByStore.set(store, held);
  }
  const key = user.toLowerCase();
  if (held.has(key)) return null;
  held.add(key);
  const set = held;
  return async () => void set.delete(key);
}

/** Takes the lock; resolves with its release function, or null when another session holds it. */
export async function lockMaildrop(store: MailboxStore, user: string): Promise<(() => Promise<void>) | null> {
  const release = store.lockMaildrop ? await store.lockMaildrop(user) : lockInProcess(store, user);
  if (!release) return null;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await release();
  };
}

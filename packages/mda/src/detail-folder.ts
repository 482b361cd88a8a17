import type { MailboxStore } from '@mailstack/core';

/**
 * Dovecot's lmtp_save_to_detail_mailbox: `alice+lists@example.test` is saved into
 * alice's folder `lists` when that folder exists, else into INBOX. The detail comes from
 * the sender's side, so it is only ever compared with existing folder names, never used
 * to build a path, and anything that looks like a path (`/`, a leading dot, `..`, control
 * characters) goes to INBOX.
 */
export async function folderForDetail(
  store: MailboxStore,
  user: string,
  detail: string | undefined,
): Promise<string> {
  if (!detail || !isPlainFolderName(detail)) return 'INBOX';
  if (detail.toUpperCase() === 'INBOX') return 'INBOX';
  const folders = await store.listFolders(user);
  return folders.some((f) => f.name === detail) ? detail : 'INBOX';
}

function isPlainFolderName(name: string): boolean {
  return name.length <= 255 && !name.startsWith('.') && !/[/\\\0-\x1f\x7f]/.test(name);
}

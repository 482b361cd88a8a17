/**
 * Mailbox and user names: modified UTF-7 (RFC 3501 5.1.3) for on-disk folder names, as
 * Dovecot and Courier store them, and the validation that keeps every name inside the
 * user's Maildir.
 */
import { decodeModifiedUtf7, encodeModifiedUtf7, InvalidNameError } from '@mailstack/core';

/** The store's hierarchy separator; on disk Maildir++ uses '.'. */
export const SEPARATOR = '/';
export const MAX_NAME_LENGTH = 512;
/** One on-disk directory name must fit NAME_MAX (255 bytes) with the leading dot. */
const MAX_DIR_BYTES = 254;

/** UTF-8 → modified UTF-7, as Dovecot and Courier name folders on disk. */
export function encodeMailboxName(name: string): string {
  return encodeModifiedUtf7(name);
}

/** Modified UTF-7 → UTF-8, leniently; throws InvalidNameError on malformed input. */
export function decodeMailboxName(encoded: string): string {
  const name = decodeModifiedUtf7(encoded);
  if (name === null) throw new InvalidNameError(`Not modified UTF-7: ${encoded}`);
  return name;
}

/** INBOX is case-insensitive (RFC 3501 5.1); other names are kept as given. */
export function normalizeFolderName(name: string): string {
  if (name.toUpperCase() === 'INBOX') return 'INBOX';
  const first = name.split(SEPARATOR)[0];
  if (first?.toUpperCase() === 'INBOX') return `INBOX${name.slice(5)}`;
  return name;
}

/**
 * Checks a folder name in the store's view ('/'-separated UTF-8). Maildir++ uses '.' as
 * its on-disk separator, so a '.' inside a component cannot be stored and is refused.
 */
export function validateFolderName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidNameError('Empty mailbox name');
  if (name.length > MAX_NAME_LENGTH) throw new InvalidNameError('Mailbox name too long');
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new InvalidNameError('Control character in mailbox name');
  if (name.startsWith(SEPARATOR) || name.endsWith(SEPARATOR))
    throw new InvalidNameError(`Mailbox name may not start or end with '${SEPARATOR}'`);
  for (const part of name.split(SEPARATOR)) {
    if (part === '') throw new InvalidNameError('Empty component in mailbox name');
    if (part.includes('.'))
      throw new InvalidNameError(
        `'.' is the Maildir++ hierarchy separator and cannot be part of a name: ${part}`,
      );
    if (part.includes('\\')) throw new InvalidNameError('Backslash in mailbox name');
  }
  if (Buffer.byteLength(folderDirName(name)) > MAX_DIR_BYTES)
    throw new InvalidNameError('Mailbox name too long');
}

/** `Lists/Work` → `.Lists.Work` (each component modified UTF-7); INBOX → ''. */
export function folderDirName(name: string): string {
  const n = normalizeFolderName(name);
  if (n === 'INBOX') return '';
  return `.${n.split(SEPARATOR).map(encodeMailboxName).join('.')}`;
}

/** `.Lists.Work` → `Lists/Work`; null when the directory is not a folder of ours. */
export function folderNameFromDir(dir: string): string | null {
  if (!dir.startsWith('.') || dir === '.' || dir === '..') return null;
  const parts = dir.slice(1).split('.');
  if (parts.some((p) => p === '')) return null;
  try {
    return parts.map(decodeMailboxName).join(SEPARATOR);
  } catch {
    return null;
  }
}

/** One path component of a user name: not empty, no separators, no dot-dirs, no controls. */
export function validatePathComponent(part: string, what: string): void {
  if (part.length === 0 || part.length > 255) throw new InvalidNameError(`Bad ${what}`);
  if (part === '.' || part === '..') throw new InvalidNameError(`Bad ${what}: ${part}`);
  if (/[/\\\u0000-\u001f\u007f]/.test(part)) throw new InvalidNameError(`Bad character in ${what}`);
}

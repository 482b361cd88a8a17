import type { RecipientResult } from '@mailstack/core';

/** sysexits(3) codes an MTA's local delivery agent understands (Postfix mailbox_command, sendmail). */
export const EX = {
  OK: 0,
  USAGE: 64,
  DATAERR: 65,
  NOUSER: 67,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  TEMPFAIL: 75,
} as const;

/**
 * One exit code for a whole LDA run, most urgent first: anything temporary or over quota
 * → EX_TEMPFAIL (the MTA retries; recipients already saved may get a second copy, as with
 * dovecot-lda), an unknown or malformed recipient → EX_NOUSER, a message refused for its
 * content or size → EX_DATAERR, any other refusal → EX_UNAVAILABLE.
 */
export function exitCodeFor(results: RecipientResult[]): number {
  const replies = results.map((r) => r.reply);
  if (replies.some((r) => r.code >= 400 && r.code < 500) || replies.some((r) => r.enhanced.endsWith('.2.2')))
    return EX.TEMPFAIL;
  if (replies.some((r) => r.enhanced.startsWith('5.1.'))) return EX.NOUSER;
  if (replies.some((r) => r.enhanced.startsWith('5.3.') || r.enhanced.startsWith('5.6.'))) return EX.DATAERR;
  if (replies.some((r) => r.code >= 500)) return EX.UNAVAILABLE;
  return EX.OK;
}

import { type Reply, SmtpError, storageRefusal } from '@mailstack/core';

const LOCAL_ERROR: Reply = { code: 451, enhanced: '4.3.0', text: 'Local error in processing' };

/**
 * The one place a store, spool or directory refusal becomes an SMTP/LMTP reply (RFC 3463
 * enhanced codes), by its core refusal kind only; every agent that answers SMTP (MDA per
 * recipient, MSA and MTA at enqueue) goes through here and never names a backend's classes.
 *
 * - over-quota → 552 5.2.2: permanent, as Dovecot's LMTP answers unless quota_full_tempfail.
 * - no-space → 452 4.3.1 (mail system full): the disk frees up, the sender retries.
 * - temporary → 451 4.3.0.
 * - not-found → 550 5.1.1: no such mailbox.
 * - invalid-name → 550 5.1.3: an address the store cannot hold.
 * - limit, exists → 451 4.3.0: a backend limit or a race an administrator can clear; deferring
 *   loses no mail.
 *
 * Anything else keeps its own reply when it carries one (an SmtpError: the message source's
 * size or NUL refusal), else becomes `fallback` (451 4.3.0 "Local error in processing").
 */
export function storageReply(err: unknown, fallback: Reply = LOCAL_ERROR): Reply {
  const text = (otherwise: string) => refusalText(err) ?? otherwise;
  switch (storageRefusal(err)) {
    case 'over-quota':
      return { code: 552, enhanced: '5.2.2', text: text('Mailbox is over quota') };
    case 'no-space':
      return { code: 452, enhanced: '4.3.1', text: 'Insufficient system storage' };
    case 'temporary':
      return { code: 451, enhanced: '4.3.0', text: 'Temporary local problem, try again later' };
    case 'not-found':
      return { code: 550, enhanced: '5.1.1', text: 'No such user here' };
    case 'invalid-name':
      return { code: 550, enhanced: '5.1.3', text: text('Bad destination mailbox address') };
    case 'limit':
    case 'exists':
      return { code: 451, enhanced: '4.3.0', text: text('Local error in processing') };
    case undefined:
      return err instanceof SmtpError ? err.reply : fallback;
  }
}

const ENQUEUE_FAILED: Reply = {
  code: 451,
  enhanced: '4.3.0',
  text: 'Could not queue the message, try again later',
};

/**
 * What the MSA and the MTA throw from DATA when the spool refused the message: the refusal's
 * reply (a full disk is 452 4.3.1), or 451 4.3.0 "Could not queue" for any other failure.
 */
export function enqueueError(err: unknown): SmtpError {
  const reply = storageReply(err, ENQUEUE_FAILED);
  return new SmtpError(reply.code, reply.enhanced, reply.text);
}

/** A refusal's own message when it is plain printable ASCII on one line, as a reply text must be. */
function refusalText(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : '';
  return /^[\x20-\x7e]{1,200}$/.test(message) ? message : undefined;
}

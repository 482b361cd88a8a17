/**
 * LDA mode as a library call: one message from a stream (stdin of `mailstack lda`, like
 * dovecot-lda for Postfix's `mailbox_command` or a `pipe` transport) delivered to its
 * recipients, with the outcome as a sysexits(3) code and the lines to print for the MTA.
 *
 * Exit status: 0 delivered, 75 temporary failure or over quota, 67 unknown recipient, 65 bad
 * input (empty, over the size limit, a malformed sender), 69 other refusals. The message is
 * streamed to a temp file, not held in memory, and read from there per recipient.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Directory,
  type Envelope,
  formatReply,
  isValidMailbox,
  type Logger,
  type MailboxStore,
} from '@mailstack/core';
import { deliver } from './local-delivery.ts';
import { spoolMessage } from './spooled-message.ts';
import { EX, exitCodeFor } from './sysexits.ts';

export interface LdaOptions {
  /** The envelope sender; '' or '<>' is the null sender. */
  sender: string;
  recipients: string[];
  directory: Directory;
  store: MailboxStore;
  logger?: Logger;
  /** `user+detail@` into folder `detail` when it exists. Default false. */
  detailFolder?: boolean;
  /** Largest message in bytes. Default 50 MiB. */
  maxMessageSize?: number;
  /** Where the message is spooled. Default `<os tmpdir>/mailstack-lda`. */
  tempDir?: string;
}

export interface LdaOutcome {
  /** sysexits(3) code for the process. */
  code: number;
  /** One line per refusal (`<rcpt>: 550 5.1.1 ...`), for stderr, where the MTA reads it. */
  lines: string[];
}

/** Delivers the message `input` carries; resolves with the exit code and what to tell the MTA. */
export async function deliverLda(
  input: AsyncIterable<Buffer | string>,
  options: LdaOptions,
): Promise<LdaOutcome> {
  const sender = options.sender === '<>' ? '' : options.sender;
  if (sender !== '' && !isValidMailbox(sender))
    return { code: EX.DATAERR, lines: [`invalid sender address: ${JSON.stringify(sender)}`] };
  const limit = options.maxMessageSize ?? 50 * 1024 * 1024;
  const spooled = await spoolMessage(input, options.tempDir ?? join(tmpdir(), 'mailstack-lda'));
  try {
    const message = spooled.slice(mboxFromLineLength(spooled.head, spooled.blob.size));
    if (message.size === 0) return { code: EX.DATAERR, lines: ['empty message on stdin'] };
    if (message.size > limit)
      return { code: EX.DATAERR, lines: [`552 5.3.4 Message exceeds fixed maximum message size ${limit}`] };
    const envelope: Envelope = {
      mailFrom: sender,
      rcptTo: options.recipients.map((address) => ({ address })),
      params: {},
    };
    const results = await deliver(envelope, message, {
      directory: options.directory,
      store: options.store,
      ...(options.logger ? { logger: options.logger } : {}),
      detailFolder: options.detailFolder ?? false,
    });
    return {
      code: exitCodeFor(results),
      lines: results
        .filter((r) => r.reply.code >= 300)
        .map((r) => `<${r.recipient}>: ${formatReply(r.reply)}`),
    };
  } finally {
    await spooled.close();
  }
}

/**
 * An mbox `From sender date` line some MTAs put in front of the message is not part of it:
 * its length (with the LF), or the whole input when it has no LF (then nothing is left).
 */
function mboxFromLineLength(head: Buffer, size: number): number {
  if (head.subarray(0, 5).toString('latin1') !== 'From ') return 0;
  const lf = head.indexOf(0x0a);
  return lf < 0 ? size : lf + 1;
}

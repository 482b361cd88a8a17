import {
  type DeliveryTarget,
  type Directory,
  type Envelope,
  isValidMailbox,
  type LogContext,
  type Logger,
  type MailboxStore,
  type MessageBlob,
  type MetricsSink,
  noMetrics,
  ok,
  type RecipientResult,
  type Reply,
  SmtpError,
  silentLogger,
  storageRefusal,
} from '@mailstack/core';
import { storageReply } from '@mailstack/smtp';
import { folderForDetail } from './detail-folder.ts';
import { lineEndingOf, prefixedBlob, traceHeaders } from './trace-headers.ts';

export interface LocalDeliveryOptions {
  directory: Directory;
  store: MailboxStore;
  logger?: Logger;
  /** Each recipient's outcome is counted here: delivered, deferred (4xx) or bounced (5xx). */
  metrics?: MetricsSink;
  /** Save `user+detail@` into folder `detail` when it exists (Dovecot's lmtp_save_to_detail_mailbox). */
  detailFolder?: boolean;
  /** Extra log fields for every delivery of this call (queueId, messageId...). */
  logFields?: LogContext;
}

export const unknownUser = (): Reply => new SmtpError(550, '5.1.1', 'No such user here').reply;
export const badRecipient = (): Reply => new SmtpError(501, '5.1.3', 'Bad recipient address syntax').reply;

/**
 * Final delivery into the local mailbox store: one result per recipient, in recipient
 * order (core's DeliveryTarget contract). A 2xx means the store's deliver() resolved, i.e.
 * the message is fsynced. Each copy gets `Return-Path` and `Delivered-To` on top.
 *
 * An alias expanding to several local users is delivered to each; the recipient's result
 * is 250 when all succeeded, else the worst outcome (5xx over 4xx). Forward targets of an
 * alias (addresses elsewhere) are not the MDA's job: the MTA expands aliases before LMTP,
 * so they are logged and ignored; an address with only forward targets is 550 5.1.1 here.
 */
export async function deliver(
  envelope: Envelope,
  blob: MessageBlob,
  options: LocalDeliveryOptions,
): Promise<RecipientResult[]> {
  const logger = (options.logger ?? silentLogger).child({ agent: 'mda', ...options.logFields });
  const eol = await lineEndingOf(blob);
  const done = new Map<string, Reply>(); // a repeated recipient is delivered once
  const results: RecipientResult[] = [];
  for (const { address } of envelope.rcptTo) {
    const key = address.toLowerCase();
    let reply = done.get(key);
    if (!reply) {
      reply = await deliverToRecipient(address, envelope.mailFrom, blob, eol, options, logger).catch(
        (err: unknown) => {
          logger.error({ event: 'delivery-failed', recipient: address, err: String(err) }, 'delivery failed');
          return replyOf(err);
        },
      );
      done.set(key, reply);
    }
    results.push({ recipient: address, reply });
  }
  for (const { reply } of results) (options.metrics ?? noMetrics).count(outcomeOf(reply), { agent: 'mda' });
  return results;
}

export function createLocalDelivery(options: LocalDeliveryOptions): DeliveryTarget {
  return { deliver: (envelope, blob) => deliver(envelope, blob, options) };
}

async function deliverToRecipient(
  address: string,
  sender: string,
  blob: MessageBlob,
  eol: '\r\n' | '\n',
  options: LocalDeliveryOptions,
  logger: Logger,
): Promise<Reply> {
  if (!isValidMailbox(address)) return badRecipient();
  const resolution = await options.directory.resolve(address);
  if (resolution && resolution.forward.length > 0) {
    logger.info(
      { event: 'forward-ignored', recipient: address, forward: resolution.forward },
      'alias forwards are expanded by the MTA, not the MDA',
    );
  }
  if (!resolution || resolution.local.length === 0) {
    logger.info({ event: 'unknown-user', recipient: address }, 'no local mailbox');
    return unknownUser();
  }
  const message = prefixedBlob(traceHeaders(sender, address, eol), blob);
  const seenUsers = new Set<string>();
  const replies: Reply[] = [];
  for (const target of resolution.local) {
    if (seenUsers.has(target.user)) continue;
    seenUsers.add(target.user);
    const folder = options.detailFolder
      ? await folderForDetail(options.store, target.user, target.detail)
      : 'INBOX';
    try {
      const saved = await options.store.deliver(target.user, message, { folder });
      logger.info(
        { event: 'delivered', recipient: address, user: target.user, folder: saved.folder, uid: saved.uid },
        'delivered',
      );
      replies.push(ok(`<${address}> Saved`));
    } catch (err) {
      const reply = replyOf(err);
      const level = err instanceof SmtpError || storageRefusal(err) !== undefined ? 'info' : 'error';
      logger[level]({
        event: 'not-delivered',
        recipient: address,
        user: target.user,
        code: reply.code,
        err: String(err),
      });
      replies.push(reply);
    }
  }
  return worst(replies);
}

/** The counter a recipient's final reply adds to. */
function outcomeOf(reply: Reply): 'messages_delivered' | 'messages_deferred' | 'messages_bounced' {
  if (reply.code < 400) return 'messages_delivered';
  return reply.code < 500 ? 'messages_deferred' : 'messages_bounced';
}

/**
 * A refusal of the store through smtp's one mapping (over quota 552 5.2.2, full disk anywhere
 * on the way, a new Maildir or a keyword file, 452 4.3.1, not 451).
 */
function replyOf(err: unknown): Reply {
  return storageReply(err);
}

/** 250 only when every copy was saved; else a permanent failure wins over a temporary one. */
function worst(replies: Reply[]): Reply {
  const rank = (r: Reply) => (r.code >= 500 ? 2 : r.code >= 400 ? 1 : 0);
  return replies.reduce((a, b) => (rank(b) > rank(a) ? b : a));
}

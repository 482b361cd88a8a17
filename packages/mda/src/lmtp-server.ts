import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DeliveryTarget,
  type Directory,
  isValidMailbox,
  type Logger,
  type MailboxStore,
  type MetricsSink,
  SmtpError,
  silentLogger,
} from '@mailstack/core';
import { createSmtpListener, type SmtpListener, type SmtpListenerOptions } from '@mailstack/smtp';
import { badRecipient, createLocalDelivery, unknownUser } from './local-delivery.ts';
import { messageIdOf } from './message-id.ts';
import { spoolMessage } from './spooled-message.ts';

export interface LmtpServerOptions
  extends Omit<SmtpListenerOptions, 'handlers' | 'protocol' | 'logger' | 'pregreetMs'> {
  directory: Directory;
  store: MailboxStore;
  /** Save `user+detail@` into folder `detail` when it exists. Default false. */
  detailFolder?: boolean;
  /**
   * Where DATA is streamed before delivery (one unlinked temp file per message); default
   * `<os tmpdir>/mailstack-lmtp`, as Dovecot's mail_temp_dir. On the store's own file system
   * a message would need twice its size free while it is copied into the Maildir.
   */
  tempDir?: string;
  /** Where accepted messages go; default the local store (createLocalDelivery). */
  target?: DeliveryTarget;
  logger?: Logger;
  /** Per-recipient outcomes of the local store are counted here (the web agent's /metrics). */
  metrics?: MetricsSink;
}

/**
 * An LMTP server (RFC 2033) in front of the local store: LHLO/MAIL/RCPT/DATA/RSET/NOOP/QUIT,
 * unknown recipients refused at RCPT (550 5.1.1), and after DATA one reply per accepted
 * recipient, in RCPT order, each sent only once that copy is stored. No pregreet delay:
 * LMTP clients are our own MTA or Postfix on the same host.
 */
export function createLmtpServer(options: LmtpServerOptions): SmtpListener {
  const logger = (options.logger ?? silentLogger).child({ agent: 'mda' });
  const {
    directory,
    store,
    detailFolder,
    target: givenTarget,
    tempDir = join(tmpdir(), 'mailstack-lmtp'),
    logger: _logger,
    metrics,
    ...listenerOptions
  } = options;
  const target =
    givenTarget ??
    createLocalDelivery({
      directory,
      store,
      logger: options.logger ?? silentLogger,
      ...(metrics ? { metrics } : {}),
      ...(detailFolder ? { detailFolder } : {}),
    });

  return createSmtpListener({
    ...listenerOptions,
    protocol: 'lmtp',
    pregreetMs: 0,
    logger,
    handlers: {
      async onRcptTo(address) {
        if (!isValidMailbox(address.address)) throw errorOf(badRecipient());
        const resolution = await directory.resolve(address.address);
        if (!resolution || resolution.local.length === 0) throw errorOf(unknownUser());
      },
      async onData(message, session) {
        const spooled = await spoolMessage(message.stream, tempDir);
        try {
          const messageId = messageIdOf(spooled.head);
          const started = Date.now();
          const results = await target.deliver(message.envelope, spooled.blob);
          logger.info(
            {
              event: 'lmtp-message',
              session: session.id,
              messageId,
              from: message.envelope.mailFrom,
              size: spooled.blob.size,
              results: results.map((r) => `${r.recipient} ${r.reply.code}`),
              ms: Date.now() - started,
            },
            'message handled',
          );
          return results.map((r) => r.reply);
        } finally {
          await spooled.close();
        }
      },
    },
  });
}

function errorOf(reply: { code: number; enhanced: string; text: string }): SmtpError {
  return new SmtpError(reply.code, reply.enhanced, reply.text);
}

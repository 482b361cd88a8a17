import {
  bufferBlob,
  type DeliveryTarget,
  type Directory,
  isValidMailbox,
  type Logger,
  type MailboxStore,
  readAll,
  SmtpError,
  silentLogger,
} from '@mailstack/core';
import { createSmtpListener, type SmtpListener, type SmtpListenerOptions } from '@mailstack/smtp';
import { badRecipient, createLocalDelivery, unknownUser } from './local-delivery.ts';
import { messageIdOf } from './message-id.ts';

export interface LmtpServerOptions
  extends Omit<SmtpListenerOptions, 'handlers' | 'protocol' | 'logger' | 'pregreetMs'> {
  directory: Directory;
  store: MailboxStore;
  /** Save `user+detail@` into folder `detail` when it exists. Default false. */
  detailFolder?: boolean;
  /** Where accepted messages go; default the local store (createLocalDelivery). */
  target?: DeliveryTarget;
  logger?: Logger;
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
    logger: _logger,
    ...listenerOptions
  } = options;
  const target =
    givenTarget ??
    createLocalDelivery({
      directory,
      store,
      logger: options.logger ?? silentLogger,
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
        const body = await readAll(message.stream);
        const messageId = messageIdOf(body);
        const started = Date.now();
        const results = await target.deliver(message.envelope, bufferBlob(body));
        logger.info(
          {
            event: 'lmtp-message',
            session: session.id,
            messageId,
            from: message.envelope.mailFrom,
            size: body.length,
            results: results.map((r) => `${r.recipient} ${r.reply.code}`),
            ms: Date.now() - started,
          },
          'message handled',
        );
        return results.map((r) => r.reply);
      },
    },
  });
}

function errorOf(reply: { code: number; enhanced: string; text: string }): SmtpError {
  return new SmtpError(reply.code, reply.enhanced, reply.text);
}

import {
  type Account,
  isLoopback,
  noMetrics,
  ok,
  type Reply,
  SmtpError,
  silentLogger,
  splitAddress,
} from '@mailstack/core';
import {
  connectionLimitsOf,
  createSmtpListener,
  enqueueError,
  type IncomingMessage,
  postmasterDomain,
  type SmtpListener,
  type SmtpSession,
  splitHead,
  withHead,
} from '@mailstack/smtp';
import { createAuthenticator } from './authenticator.ts';
import { directoryCommands } from './directory-commands.ts';
import { applyFixups } from './fixups.ts';
import { type MessageHead, readHead } from './message-head.ts';
import { receivedHeader } from './received.ts';
import { checkHeaderSenders, mayUse } from './sender-policy.ts';
import { SendingLimiter } from './sending-limits.ts';
import type { SubmissionServerOptions } from './submission-options.ts';

/** The session's logged-in account; set by AUTH, gone with the session. */
type Accounts = WeakMap<SmtpSession, Account>;

export function createSubmissionServer(options: SubmissionServerOptions): SmtpListener {
  const logger = (options.logger ?? silentLogger).child({ agent: 'msa' });
  const now = options.now ?? (() => new Date());
  const { directory, spool, hostname } = options;
  const accounts: Accounts = new WeakMap();
  const limiter = new SendingLimiter(options.limits, () => now().getTime(), options.sendingStore);
  const metrics = options.metrics ?? noMetrics;
  const authenticate = createAuthenticator(directory, options.authThrottle, logger, metrics);

  const accountOf = (session: SmtpSession): Account => {
    const account = accounts.get(session);
    if (!account) throw new SmtpError(530, '5.7.0', 'Authentication required');
    return account;
  };

  const checkSender = async (account: Account, address: string, where: string) => {
    if (await mayUse(account, address, options.mayUseSender)) return;
    logger.warn({ event: 'sender-refused', user: account.user, address, where }, 'sender not allowed');
    throw new SmtpError(553, '5.7.1', `Sender address <${address}> not owned by ${account.user}`);
  };

  /** The header-section checks and fix-ups; throws an SmtpError to refuse the message. */
  const fixHead = async (
    session: SmtpSession,
    account: Account,
    recipients: string[],
    head: MessageHead,
    headBytes: Buffer,
  ) => {
    await checkHeaderSenders(head, (address, field) => checkSender(account, address, field));
    const date = now();
    const tls = session.tlsOptions;
    const received = receivedHeader({
      helo: session.hostNameAppearsAs || 'unknown',
      clientIp: session.remoteAddress,
      hideClientIp: options.hideClientIp === true,
      hostname,
      extended: session.openingCommand === 'EHLO',
      ...(tls ? { tls: { protocol: tls.version, cipher: tls.name } } : {}),
      authUser: account.user,
      id: `${session.id}.${session.transaction}`,
      recipients,
      date,
    });
    return applyFixups(headBytes, head, received, hostname, date);
  };

  const onData = async (message: IncomingMessage, session: SmtpSession): Promise<Reply> => {
    const account = accountOf(session);
    const recipients = message.envelope.rcptTo.map((r) => r.address);
    // only the header section is held: checked, fixed up, and stored as the very bytes checked;
    // the body streams from the client's socket into the spool
    const { head: headBytes, rest } = await splitHead(message.stream);
    const fixed = await fixHead(session, account, recipients, readHead(headBytes), headBytes);
    const body = withHead(fixed.bytes, rest);
    let queueId: string;
    try {
      queueId = await spool.enqueue(message.envelope, body.stream);
    } catch (err) {
      // the source's own refusal (size, NUL, bare line end) keeps its reply; the spool's is a 451
      const refusal = body.failure();
      if (refusal instanceof SmtpError) throw refusal;
      logger.error({ event: 'enqueue-failed', session: session.id, err: String(err) }, 'enqueue failed');
      throw enqueueError(err);
    }
    limiter.recordMessage(account.user);
    metrics.count('messages_accepted', { agent: 'msa' });
    logger.info(
      {
        event: 'submitted',
        queueId,
        messageId: fixed.messageId,
        user: account.user,
        recipients: recipients.length,
        added: fixed.added,
      },
      'message queued',
    );
    return ok(`Queued as ${queueId}`);
  };

  return createSmtpListener({
    banner: options.banner,
    maxLineLength: options.maxLineLength,
    maxConnections: options.maxConnections,
    idleTimeoutMs: options.idleTimeoutMs,
    maxMessageSize: options.maxMessageSize,
    // what the sender check reads is what the next hop reads: CRLF lines only
    refuseBareLineEnds: true,
    postmasterDomain: () => postmasterDomain(hostname, (d) => directory.isLocalDomain(d)),
    maxRecipients: options.maxRecipients,
    maxProtocolErrors: options.maxProtocolErrors,
    closeTimeoutMs: options.closeTimeoutMs,
    ...connectionLimitsOf(options),
    pregreetMs: options.pregreetMs,
    name: hostname,
    protocol: 'smtp',
    dsn: true,
    logger,
    tls: { key: options.tls.key, cert: options.tls.cert, implicit: options.implicitTls },
    auth: {
      methods: ['PLAIN', 'LOGIN'],
      required: true,
      ...(options.allowCleartextAuthOnLoopback ? { allowCleartext: isLoopback } : {}),
      async authenticate(credentials, session) {
        const account = await authenticate(credentials.username, credentials.password, session.remoteAddress);
        if (!account) return null;
        accounts.set(session, account);
        logger.info({
          event: 'authenticated',
          session: session.id,
          user: account.user,
          method: credentials.method,
        });
        return account.user;
      },
    },
    commands: directoryCommands(directory, {
      verify: options.verifyForAuthenticated === true,
      expand: options.expandForAuthenticated === true,
    }),
    handlers: {
      async onMailFrom(address, session) {
        const account = accountOf(session);
        if (address.address !== '') await checkSender(account, address.address, 'MAIL FROM');
        if (!limiter.mayStartMessage(account.user)) {
          logger.warn({ event: 'rate-limited', user: account.user }, 'hourly message limit reached');
          throw new SmtpError(451, '4.7.1', 'Hourly sending limit reached, try again later');
        }
      },
      async onRcptTo(address, session) {
        const account = accountOf(session);
        const rcpts = session.envelope.rcptTo;
        const repeated = rcpts.some((r) => r.address.toLowerCase() === address.address.toLowerCase());
        if (!repeated && !limiter.mayAddRecipient(account.user, rcpts.length)) {
          throw new SmtpError(452, '4.5.3', 'Too many recipients for this message');
        }
        const parts = splitAddress(address.address);
        if (parts && directory.isLocalDomain(parts.domain) && !(await directory.resolve(address.address))) {
          throw new SmtpError(550, '5.1.1', `No such user here: <${address.address}>`);
        }
      },
      onData,
    },
  });
}

import {
  bufferBlob,
  isLoopback,
  isValidMailbox,
  NoSpaceError,
  ok,
  type Reply,
  readAll,
  SmtpError,
  silentLogger,
  splitAddress,
} from '@mailstack/core';
import { createAuthThrottle } from '@mailstack/directory';
import {
  createSmtpListener,
  type IncomingMessage,
  type SmtpAddress,
  type SmtpListener,
  type SmtpListenerOptions,
  type SmtpSession,
} from '@mailstack/smtp';
import { authenticateMessage } from './authentication.ts';
import { bareLineEnd, countReceived, headerEnd, headerFields, withoutForgedResults } from './message-scan.ts';
import type { InboundCheckContext, InboundCheckStage, InboundServerOptions } from './options.ts';
import { inboundReceived } from './received.ts';
import { runChecks } from './run-checks.ts';
import { plainAddress, trustedNetworks } from './trusted-networks.ts';

export const INBOUND_DEFAULTS = {
  pregreetMs: 100,
  maxReceivedHeaders: 30,
  authThrottle: { maxFailures: 5, windowMs: 15 * 60_000 },
} as const;

/**
 * The transfer agent's port 25 listener (RFC 5321): takes mail for local recipients from
 * anyone and relays only for trusted networks and authenticated clients. Accepted mail gets
 * Received (and, with checks on, Authentication-Results) and goes to the spool; 250 only
 * once the spool has it on disk.
 */
export function createInboundServer(options: InboundServerOptions): SmtpListener {
  const logger = (options.logger ?? silentLogger).child({ agent: 'mta', component: 'inbound' });
  const now = options.now ?? (() => new Date());
  const { directory, spool, hostname } = options;
  const isTrusted = trustedNetworks(options.trustedNetworks ?? []);
  const maxReceived = options.maxReceivedHeaders ?? INBOUND_DEFAULTS.maxReceivedHeaders;
  const rejectBare = options.rejectBareLineEnds !== false;
  const checks = options.checks ?? [];

  const mayRelay = (session: SmtpSession) => Boolean(session.user) || isTrusted(session.remoteAddress);

  const context = (session: SmtpSession, stage: InboundCheckStage): InboundCheckContext => {
    const ctx: InboundCheckContext = {
      stage,
      remoteAddress: plainAddress(session.remoteAddress),
      authenticated: Boolean(session.user),
    };
    if (session.hostNameAppearsAs) ctx.helo = session.hostNameAppearsAs;
    if (session.envelope.mailFrom) ctx.mailFrom = session.envelope.mailFrom.address;
    return ctx;
  };

  const checkRecipient = async (address: SmtpAddress, session: SmtpSession) => {
    const rcpt = address.address;
    // also refuses source routes (`@a:b@c`) and anything else that is no plain mailbox
    if (!isValidMailbox(rcpt)) throw new SmtpError(553, '5.1.3', 'Bad recipient address syntax');
    const parts = splitAddress(rcpt) as { local: string; domain: string };
    if (directory.isLocalDomain(parts.domain)) {
      // the directory decides; `user%other@local` or `"a@b"@local` resolve to nobody here
      if (!(await directory.resolve(rcpt))) {
        throw new SmtpError(550, '5.1.1', `No such user here: <${rcpt}>`);
      }
    } else if (!mayRelay(session)) {
      logger.info(
        { event: 'relay-denied', session: session.id, remote: session.remoteAddress, rcpt },
        'relay denied',
      );
      throw new SmtpError(554, '5.7.1', `Relay access denied: <${rcpt}>`);
    }
    if (checks.length > 0) await runChecks(checks, { ...context(session, 'rcpt'), recipient: rcpt }, logger);
  };

  const onData = async (message: IncomingMessage, session: SmtpSession): Promise<Reply> => {
    const envelope = message.envelope;
    const recipients = envelope.rcptTo.map((r) => r.address);
    const received = await readAll(message.stream); // 552 5.3.4 past maxMessageSize
    if (rejectBare && bareLineEnd(received) >= 0) {
      logger.info({ event: 'bare-line-end', session: session.id, remote: session.remoteAddress }, 'refused');
      throw new SmtpError(550, '5.6.0', 'Message contains a bare CR or LF (RFC 5321 2.3.8)');
    }
    const end = headerEnd(received);
    const hops = countReceived(received.subarray(0, end));
    if (hops > maxReceived) {
      logger.warn({ event: 'mail-loop', session: session.id, hops }, 'too many Received fields');
      throw new SmtpError(554, '5.4.6', `Too many hops (${hops} Received fields): mail loop?`);
    }
    const { head } = withoutForgedResults(received.subarray(0, end), hostname);
    const body = received.subarray(end);
    const helo = session.hostNameAppearsAs || 'unknown';
    const ip = plainAddress(session.remoteAddress);

    let authHeaders = '';
    if (options.authentication) {
      const outcome = await authenticateMessage(
        { message: received, ip, helo, mailFrom: envelope.mailFrom, hostname },
        options.authentication,
      ).catch((err: unknown) => {
        logger.error(
          { event: 'authentication-failed', session: session.id, err: String(err) },
          'checks failed',
        );
        throw new SmtpError(451, '4.3.0', 'Authentication checks failed, try again later');
      });
      logger.info({ event: 'authentication', session: session.id, ...outcome.results }, 'checked');
      if (outcome.refusal) throw outcome.refusal;
      authHeaders = outcome.headers;
    }
    if (checks.length > 0) {
      await runChecks(checks, { ...context(session, 'data'), envelope, message: received }, logger);
    }

    const tls = session.tlsOptions;
    const rdns = session.clientHostname;
    const trace = inboundReceived({
      helo,
      ...(rdns && !rdns.startsWith('[') ? { rdns } : {}),
      clientIp: ip,
      hostname,
      extended: session.openingCommand === 'EHLO',
      ...(tls ? { tls: { protocol: tls.version, cipher: tls.name } } : {}),
      ...(session.user ? { authUser: String(session.user) } : {}),
      utf8: envelope.params.smtpUtf8 === true,
      id: `${session.id}.${session.transaction}`,
      recipients,
      date: now(),
    });
    const stored = Buffer.concat([Buffer.from(authHeaders + trace, 'utf8'), head, body]);
    let queueId: string;
    try {
      queueId = await spool.enqueue(envelope, bufferBlob(stored));
    } catch (err) {
      logger.error({ event: 'enqueue-failed', session: session.id, err: String(err) }, 'enqueue failed');
      if (err instanceof NoSpaceError) throw err;
      throw new SmtpError(451, '4.3.0', 'Could not queue the message, try again later');
    }
    logger.info(
      {
        event: 'received',
        queueId,
        messageId: messageIdOf(head),
        session: session.id,
        from: envelope.mailFrom,
        recipients: recipients.length,
        size: stored.length,
      },
      'message queued',
    );
    return ok(`Queued as ${queueId}`);
  };

  const listenerOptions: SmtpListenerOptions = {
    banner: options.banner,
    maxLineLength: options.maxLineLength,
    maxConnections: options.maxConnections,
    idleTimeoutMs: options.idleTimeoutMs,
    maxMessageSize: options.maxMessageSize,
    maxRecipients: options.maxRecipients,
    maxProtocolErrors: options.maxProtocolErrors,
    closeTimeoutMs: options.closeTimeoutMs,
    pregreetMs: options.pregreetMs ?? INBOUND_DEFAULTS.pregreetMs,
    name: hostname,
    protocol: 'smtp',
    dsn: true,
    logger,
    reverseLookup: options.reverseLookup !== undefined && options.reverseLookup !== false,
    handlers: {
      async onConnect(session) {
        if (checks.length > 0) await runChecks(checks, context(session, 'connect'), logger);
      },
      onRcptTo: checkRecipient,
      onData,
    },
  };
  if (options.tls) listenerOptions.tls = { key: options.tls.key, cert: options.tls.cert };
  const reverse = options.reverseLookup;
  if (typeof reverse === 'function') {
    // smtp-server asks `resolver.reverse(ip, callback)`; the function form lets tests answer
    listenerOptions.serverOptions = {
      resolver: {
        reverse: (ip: string, cb: (err: Error | null, names?: string[]) => void) =>
          reverse(ip).then((names) => cb(null, names), cb),
      },
    } as SmtpListenerOptions['serverOptions'];
  }
  if (options.auth) {
    const throttleOption = options.auth.throttle ?? INBOUND_DEFAULTS.authThrottle;
    const throttle = 'check' in throttleOption ? throttleOption : createAuthThrottle(throttleOption);
    listenerOptions.auth = {
      methods: ['PLAIN', 'LOGIN'],
      required: false,
      ...(options.auth.allowCleartextOnLoopback ? { allowCleartext: isLoopback } : {}),
      async authenticate(credentials, session) {
        const attempt = { ip: session.remoteAddress, user: credentials.username };
        if (throttle.check(attempt).refuse) {
          throw new SmtpError(454, '4.7.0', 'Too many failed authentication attempts, try again later');
        }
        const account = await directory.authenticate(credentials.username, credentials.password);
        if (!account) {
          throttle.recordFailure(attempt);
          logger.info({ event: 'auth-failed', remote: session.remoteAddress, user: credentials.username });
          return null;
        }
        throttle.recordSuccess(attempt);
        logger.info({ event: 'authenticated', session: session.id, user: account.user });
        return account.user;
      },
    };
  }
  return createSmtpListener(listenerOptions);
}

function messageIdOf(head: Buffer): string | undefined {
  const field = headerFields(head).find((f) => f.name === 'message-id');
  if (!field) return undefined;
  const text = head.subarray(field.start, field.end).toString('utf8');
  return text.slice(text.indexOf(':') + 1).trim() || undefined;
}

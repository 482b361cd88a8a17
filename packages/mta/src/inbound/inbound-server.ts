import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import {
  isLoopback,
  isValidMailbox,
  noMetrics,
  ok,
  type Reply,
  SmtpError,
  silentLogger,
  splitAddress,
} from '@mailstack/core';
import { createAuthThrottle } from '@mailstack/directory';
import {
  connectionLimitsOf,
  createSmtpListener,
  enqueueError,
  type IncomingMessage,
  postmasterDomain,
  type SmtpAddress,
  type SmtpListener,
  type SmtpListenerOptions,
  type SmtpSession,
  splitHead,
  withHead,
} from '@mailstack/smtp';
import { authenticateMessage } from './authentication.ts';
import { countReceived, headerFields, withoutForgedResults } from './message-scan.ts';
import type { InboundCheckContext, InboundCheckStage, InboundServerOptions } from './options.ts';
import { inboundReceived } from './received.ts';
import { runChecks } from './run-checks.ts';
import { type StagedMessage, stageMessage } from './staging.ts';
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
  const metrics = options.metrics ?? noMetrics;
  const isTrusted = trustedNetworks(options.trustedNetworks ?? []);
  const maxReceived = options.maxReceivedHeaders ?? INBOUND_DEFAULTS.maxReceivedHeaders;
  const rejectBare = options.rejectBareLineEnds !== false;
  const checks = options.checks ?? [];
  // DKIM/DMARC and content checks read the whole message before our fields go on top of it
  const needsWholeMessage = options.authentication !== undefined || checks.some((c) => c.data);
  const stagingDir = options.stagingDir ?? tmpdir();

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

  /** Authentication-Results and Received-SPF for a staged message; runs the data checks too. */
  const verdicts = async (
    staged: StagedMessage,
    head: Buffer,
    message: IncomingMessage,
    session: SmtpSession,
  ): Promise<string> => {
    const envelope = message.envelope;
    let authHeaders = '';
    if (options.authentication) {
      const input = {
        message: staged.open(),
        ip: plainAddress(session.remoteAddress),
        helo: session.hostNameAppearsAs || 'unknown',
        mailFrom: envelope.mailFrom,
        hostname,
      };
      const outcome = await authenticateMessage(input, options.authentication).catch((err: unknown) => {
        logger.error({ event: 'message-auth-error', session: session.id, err: String(err) }, 'checks failed');
        throw new SmtpError(451, '4.3.0', 'Authentication checks failed, try again later');
      });
      logger.info(
        { event: 'message-auth-results', session: session.id, results: outcome.results },
        'checked',
      );
      if (outcome.refusal) throw outcome.refusal;
      authHeaders = outcome.headers;
    }
    if (checks.length > 0) {
      await runChecks(checks, { ...context(session, 'data'), envelope, head, message: staged }, logger);
    }
    return authHeaders;
  };

  /** Our Received field (RFC 5321 4.4) for the session's current transaction. */
  const traceOf = (session: SmtpSession, envelope: IncomingMessage['envelope']): string =>
    inboundReceived({
      helo: session.hostNameAppearsAs || 'unknown',
      ...(session.clientHostname && !session.clientHostname.startsWith('[')
        ? { rdns: session.clientHostname }
        : {}),
      clientIp: plainAddress(session.remoteAddress),
      hostname,
      extended: session.openingCommand === 'EHLO',
      ...(session.tlsOptions
        ? { tls: { protocol: session.tlsOptions.version, cipher: session.tlsOptions.name } }
        : {}),
      ...(session.user ? { authUser: String(session.user) } : {}),
      utf8: envelope.params.smtpUtf8 === true,
      id: `${session.id}.${session.transaction}`,
      recipients: envelope.rcptTo.map((r) => r.address),
      date: now(),
    });

  /**
   * Only the header section is held (loop check, forged Authentication-Results out); the body
   * streams from the client's socket into the spool, or, when verdicts need the whole message
   * first, into a staging file and from there into the spool. Memory per message stays the
   * size of its header section whatever the body's.
   */
  const onData = async (message: IncomingMessage, session: SmtpSession): Promise<Reply> => {
    const envelope = message.envelope;
    const recipients = envelope.rcptTo.map((r) => r.address);
    // a head past 1 MiB (or a lenient host's LF-only message) is passed on, not refused
    const { head: received, rest } = await splitHead(message.stream, { overflow: 'pass' }).catch(
      (err: unknown) => {
        throw refused(err, session);
      },
    );
    const hops = countReceived(received);
    if (hops > maxReceived) {
      logger.warn({ event: 'mail-loop', session: session.id, hops }, 'too many Received fields');
      throw new SmtpError(554, '5.4.6', `Too many hops (${hops} Received fields): mail loop?`);
    }
    const { head } = withoutForgedResults(received, hostname);
    let staged: StagedMessage | undefined;
    try {
      let authHeaders = '';
      let body: Readable = rest;
      if (needsWholeMessage) {
        staged = await stageMessage(stagingDir, received, rest).catch((err: unknown) => {
          throw refused(err, session);
        });
        authHeaders = await verdicts(staged, received, message, session);
        body = staged.openFrom(received.length);
      }
      const trace = traceOf(session, envelope);
      const stored = withHead(Buffer.concat([Buffer.from(authHeaders + trace, 'utf8'), head]), body);
      let queueId: string;
      try {
        queueId = await spool.enqueue(envelope, stored.stream);
      } catch (err) {
        if (stored.failure() instanceof SmtpError) throw refused(stored.failure(), session);
        logger.error({ event: 'enqueue-failed', session: session.id, err: String(err) }, 'enqueue failed');
        // a full disk is 452 4.3.1 (RFC 3463: mail system full), not a local error
        throw enqueueError(err);
      }
      metrics.count('messages_accepted', { agent: 'mta' });
      logger.info(
        {
          event: 'received',
          queueId,
          messageId: messageIdOf(head),
          session: session.id,
          from: envelope.mailFrom,
          recipients: recipients.length,
          size: stored.size(),
        },
        'message queued',
      );
      return ok(`Queued as ${queueId}`);
    } finally {
      await staged?.remove();
    }
  };

  /** The source refused the message (size, NUL, bare line end): logged, its reply kept. */
  const refused = (err: unknown, session: SmtpSession): unknown => {
    if (err instanceof SmtpError) {
      logger.info(
        { event: 'data-refused', session: session.id, remote: session.remoteAddress, reply: err.reply.text },
        'refused',
      );
    }
    return err;
  };

  const listenerOptions: SmtpListenerOptions = {
    banner: options.banner,
    maxLineLength: options.maxLineLength,
    maxConnections: options.maxConnections,
    idleTimeoutMs: options.idleTimeoutMs,
    maxMessageSize: options.maxMessageSize,
    refuseBareLineEnds: rejectBare,
    postmasterDomain: () => postmasterDomain(hostname, (d) => directory.isLocalDomain(d)),
    maxRecipients: options.maxRecipients,
    maxProtocolErrors: options.maxProtocolErrors,
    closeTimeoutMs: options.closeTimeoutMs,
    ...connectionLimitsOf(options),
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
        if ((await throttle.check(attempt)).refuse) {
          throw new SmtpError(454, '4.7.0', 'Too many failed authentication attempts, try again later');
        }
        const account = await directory.authenticate(credentials.username, credentials.password);
        if (!account) {
          await throttle.recordFailure(attempt);
          metrics.count('auth_failures', { protocol: 'smtp' });
          logger.info({ event: 'auth-failed', remote: session.remoteAddress, user: credentials.username });
          return null;
        }
        await throttle.recordSuccess(attempt);
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

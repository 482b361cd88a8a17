import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import {
  type Envelope,
  type Logger,
  type Recipient,
  type Reply,
  SmtpError,
  silentLogger,
  storageRefusal,
} from '@mailstack/core';
import type {
  SMTPServerAddress,
  SMTPServerDataResult,
  SMTPServerDataStream,
  SMTPServerOptions,
  SMTPServerSession,
} from 'smtp-server';
import type { SmtpCommandOptions } from './commands.ts';
import type { ListenerConnection } from './connection.ts';
import { guardData } from './data-guard.ts';
import { toEnvelope, toRecipient } from './envelope.ts';
import { libraryLogger } from './log-adapter.ts';
import { isBarePostmaster } from './postmaster.ts';
import { libraryDataReply, libraryError, replyText } from './replies.ts';
import { ListenerServer } from './server.ts';
import { storageReply } from './storage-reply.ts';
import { removeStaleSocket } from './unix-socket.ts';

export type SmtpSession = SMTPServerSession;
export type SmtpAddress = SMTPServerAddress;

/** A message as DATA hands it over: the envelope so far and the dot-unstuffed body. */
export interface IncomingMessage {
  envelope: Envelope;
  /** Fails with `552 5.3.4` (an SmtpError) once the body crosses `maxMessageSize`. */
  stream: Readable;
}

/**
 * What an agent plugs into the listener. Refuse by throwing an SmtpError; anything else
 * thrown becomes `451 4.3.0` and is logged.
 */
export interface SmtpHandlers {
  onConnect?(session: SmtpSession): void | Promise<void>;
  onMailFrom?(address: SmtpAddress, session: SmtpSession): void | Promise<void>;
  onRcptTo?(address: SmtpAddress, session: SmtpSession): void | Promise<void>;
  /**
   * One reply for SMTP; for LMTP one per accepted RCPT, in RCPT order (a single Reply is
   * repeated for every recipient).
   */
  onData(message: IncomingMessage, session: SmtpSession): Promise<Reply | Reply[]>;
  onClose?(session: SmtpSession): void;
}

export interface SmtpListenerOptions {
  handlers: SmtpHandlers;
  /** 'lmtp' (RFC 2033: LHLO, one reply per recipient after DATA) or 'smtp'. Default 'smtp'. */
  protocol?: 'smtp' | 'lmtp';
  /** Host name in the greeting and LHLO/EHLO reply. Default os.hostname(). */
  name?: string;
  banner?: string;
  /**
   * Milliseconds the server stays silent before 220; a client that talks first gets
   * `421` (early-talker detection, for port 25). Default 0: off, for LMTP between our
   * agents and authenticated submission.
   */
  pregreetMs?: number;
  /** Longest command line accepted, CRLF excluded; a longer one gets 500 5.5.2, then 421 and close. Default 2048. */
  maxLineLength?: number;
  /** Concurrent sessions; the next one gets `421 4.7.0` and is closed. Default 100. */
  maxConnections?: number;
  /** Concurrent sessions from one client address (`421 4.7.0` beyond). Default 50, as Postfix. */
  maxConnectionsPerClient?: number;
  /** Total time from the first byte of a command line to its end; then `421 4.4.2`. Default 60 000. */
  commandTimeoutMs?: number;
  /** Time for one DATA, plus a second per `minDataRate` bytes received; then `421 4.4.2`. Default 300 000. */
  dataTimeoutMs?: number;
  /** Slowest acceptable DATA transfer in bytes per second. Default 500 (Postfix's smtpd_min_data_rate). */
  minDataRate?: number;
  /** Idle time before `421` and close. Default 300 000 (RFC 5321 4.5.3.2.7). */
  idleTimeoutMs?: number;
  /** Advertised as SIZE and enforced with `552 5.3.4`. Default 25 MiB. */
  maxMessageSize?: number;
  /**
   * DATA with a CR or LF outside CRLF fails with `550 5.6.0` (RFC 5321 2.3.8). Default false.
   * A NUL is always refused, whatever this says.
   */
  refuseBareLineEnds?: boolean;
  /**
   * Where a bare `RCPT TO:<Postmaster>` goes (RFC 5321 4.5.1): the handlers and the envelope
   * see `postmaster@<this domain>`. Without it the address reaches the handler as given.
   */
  postmasterDomain?: () => string;
  /** RCPTs per transaction (`452 4.5.3` beyond). Default 1000. */
  maxRecipients?: number;
  /** Syntax/sequence errors per connection before `421 4.7.0` and close. Default 10. */
  maxProtocolErrors?: number;
  /**
   * close() sends `421 4.3.2` at once to sessions without an open transaction, and to the
   * others when it ends; after this long the rest get 421 too. Default 10 000.
   */
  closeTimeoutMs?: number;
  /** Look up the client's PTR name (only useful on port 25). Default false. */
  reverseLookup?: boolean;
  /** Advertise DSN (RFC 3461). Default false. */
  dsn?: boolean;
  /** HELP/VRFY/EXPN/ETRN hooks (VRFY answers 252, EXPN/ETRN 502 without them). */
  commands?: SmtpCommandOptions;
  /** TLS: STARTTLS (RFC 3207) on a plain listener, or `implicit` TLS from the first byte (RFC 8314). */
  tls?: SmtpTlsOptions;
  /** SMTP AUTH (RFC 4954): offered and accepted only over TLS unless `allowCleartext` says yes. */
  auth?: SmtpAuthOptions;
  logger?: Logger;
  /**
   * Raw smtp-server options for what this wrapper does not model yet (TLS, AUTH for the
   * MSA, PROXY...). Applied last, except the handlers.
   */
  serverOptions?: Partial<SMTPServerOptions>;
}

/** The per-client cap and input deadlines, which an agent passes through as they are. */
export type SmtpConnectionLimits = Pick<
  SmtpListenerOptions,
  'maxConnectionsPerClient' | 'commandTimeoutMs' | 'dataTimeoutMs' | 'minDataRate'
>;

/** The SmtpConnectionLimits set in `options` (an agent's options extend them). */
export function connectionLimitsOf(options: SmtpConnectionLimits): SmtpConnectionLimits {
  const { maxConnectionsPerClient, commandTimeoutMs, dataTimeoutMs, minDataRate } = options;
  return definedOnly({ maxConnectionsPerClient, commandTimeoutMs, dataTimeoutMs, minDataRate });
}

export interface SmtpTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /** TLS from the first byte (port 465) instead of STARTTLS. Default false. */
  implicit?: boolean;
}

export interface SmtpCredentials {
  method: string;
  username: string;
  password: string;
}

export interface SmtpAuthOptions {
  /** SASL mechanisms offered. Default ['PLAIN', 'LOGIN']. */
  methods?: Array<'PLAIN' | 'LOGIN'>;
  /** MAIL/RCPT/DATA before AUTH get `530 5.7.0`. Default true. */
  required?: boolean;
  /** True lets this cleartext client authenticate (a development switch). Default: never. */
  allowCleartext?(remoteAddress: string): boolean;
  /**
   * Resolves the identity stored as `session.user` on success, null for wrong credentials
   * (`535 5.7.8`); throw an SmtpError for another reply (e.g. `454 4.7.0` when throttled).
   */
  authenticate(credentials: SmtpCredentials, session: SmtpSession): Promise<unknown>;
}

export type ListenerAddress = { port: number; host: string; family: string } | { path: string };

export interface SmtpListener {
  /** A TCP port (0 = ephemeral) with an optional host, or a unix socket path. */
  listen(portOrPath: number | string, host?: string): Promise<ListenerAddress>;
  /** Stops accepting, 421 to idle sessions, lets transactions finish (up to closeTimeoutMs), then resolves. */
  close(): Promise<void>;
  /** Open sessions right now. */
  readonly connections: number;
  /**
   * A new certificate and key (a renewal): STARTTLS and implicit-TLS connections from now on
   * get them, sessions open keep theirs. A listener without TLS ignores it.
   */
  setTls(tls: { key: string | Buffer; cert: string | Buffer }): void;
}

/** What a listener does for options left out (the host config's defaults match these). */
export const SMTP_LISTENER_DEFAULTS = Object.freeze({
  pregreetMs: 0,
  maxLineLength: 2048,
  maxConnections: 100,
  maxConnectionsPerClient: 50,
  commandTimeoutMs: 60_000,
  dataTimeoutMs: 300_000,
  minDataRate: 500,
  idleTimeoutMs: 300_000,
  maxMessageSize: 25 * 1024 * 1024,
  maxRecipients: 1000,
  maxProtocolErrors: 10,
  closeTimeoutMs: 10_000,
});

export function createSmtpListener(options: SmtpListenerOptions): SmtpListener {
  const o = { ...SMTP_LISTENER_DEFAULTS, ...definedOnly(options) };
  const logger = options.logger ?? silentLogger;
  const lmtp = options.protocol === 'lmtp';
  const handlers = options.handlers;
  /** Every accepted RCPT of the open transaction, in order; duplicates kept for LMTP's reply count. */
  const accepted = new WeakMap<SmtpSession, Recipient[]>();

  /** Runs a handler and turns its outcome into the library's callback convention. */
  const settle = (
    what: string,
    session: SmtpSession,
    work: () => unknown,
    done: (err?: Error | null) => void,
  ) => {
    Promise.resolve()
      .then(work)
      .then(
        () => done(null),
        (err: unknown) => done(libraryError(toReply(err, what, session))),
      );
  };

  const toReply = (err: unknown, what: string, session: SmtpSession): Reply => {
    if (!(err instanceof SmtpError) && storageRefusal(err) === undefined) {
      logger.error(
        { event: 'handler-failed', handler: what, session: session.id, err: String(err) },
        'handler failed',
      );
    }
    return storageReply(err);
  };

  const serverOptions: SMTPServerOptions = {
    lmtp,
    name: options.name,
    banner: options.banner,
    size: o.maxMessageSize,
    hideSize: false,
    // 552 is ours (guardData): the library would count replies from its deduplicated RCPT list
    rejectOversized: false,
    maxClients: o.maxConnections,
    maxRecipients: o.maxRecipients,
    socketTimeout: o.idleTimeoutMs,
    closeTimeout: o.closeTimeoutMs,
    maxCommandLength: o.maxLineLength,
    disableReverseLookup: !options.reverseLookup,
    hideENHANCEDSTATUSCODES: false,
    hidePIPELINING: false,
    hide8BITMIME: false,
    hideDSN: !options.dsn,
    // REQUIRETLS (RFC 8689) would need every later hop to honour it; not offered
    hideREQUIRETLS: true,
    authOptional: !(options.auth && options.auth.required !== false),
    // the TLS rule for AUTH is ListenerConnection's (per client), not the library's
    allowInsecureAuth: true,
    authMethods: options.auth?.methods ?? ['PLAIN', 'LOGIN'],
    authRequiredMessage: '5.7.0 Authentication required',
    disabledCommands: [
      ...(options.tls && !options.tls.implicit ? [] : ['STARTTLS']),
      ...(options.auth ? [] : ['AUTH']),
      'WIZ',
      'SHELL',
      'KILL',
    ],
    ...(options.tls
      ? { key: options.tls.key, cert: options.tls.cert, secure: options.tls.implicit === true }
      : {}),
    logger: logger === silentLogger ? false : libraryLogger(logger.child({ component: 'smtp-server' })),
    ...options.serverOptions,
    onAuth(auth, session, callback) {
      const authOptions = options.auth;
      if (!authOptions)
        return callback(libraryError({ code: 502, enhanced: '5.5.1', text: 'AUTH not available' }));
      // RFC 4616: acting for another identity (authzid) is not offered; "alice\0alice\0pw"
      // and the common "alice\0\0pw" are the same user and fine
      if (auth.authzid && auth.authcid && auth.authzid.toLowerCase() !== auth.authcid.toLowerCase()) {
        return callback(
          libraryError({ code: 535, enhanced: '5.7.8', text: 'Authorization identity not permitted' }),
        );
      }
      const credentials = {
        method: auth.method,
        username: auth.username ?? '',
        password: auth.password ?? '',
      };
      Promise.resolve()
        .then(() => authOptions.authenticate(credentials, session))
        .then(
          (user) => {
            if (user === null || user === undefined || user === false) {
              return callback(
                libraryError({ code: 535, enhanced: '5.7.8', text: 'Authentication credentials invalid' }),
              );
            }
            callback(null, { user });
          },
          (err: unknown) => callback(libraryError(toReply(err, 'authenticate', session))),
        );
    },
    onConnect(session, callback) {
      settle('onConnect', session, () => handlers.onConnect?.(session), callback);
    },
    onMailFrom(address, session, callback) {
      settle(
        'onMailFrom',
        session,
        () => handlers.onMailFrom?.(address, session),
        (err) => {
          if (!err) accepted.set(session, []);
          callback(err);
        },
      );
    },
    onRcptTo(given, session, callback) {
      const domain = options.postmasterDomain;
      const address =
        domain && isBarePostmaster(given.address) ? { ...given, address: `postmaster@${domain()}` } : given;
      settle(
        'onRcptTo',
        session,
        () => handlers.onRcptTo?.(address, session),
        (err) => {
          if (!err) addRecipient(accepted, session, address, lmtp);
          callback(err);
        },
      );
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const recipients = accepted.get(session) ?? [];
      accepted.delete(session);
      const replyCount = lmtp ? recipients.length : 1;
      const body = guardData(stream, {
        maxBytes: o.maxMessageSize,
        refuseBareLineEnds: options.refuseBareLineEnds === true,
      });
      const message = { envelope: toEnvelope(session, recipients), stream: body };
      Promise.resolve()
        .then(() => handlers.onData(message, session))
        .then(
          (result) => fitReplies(result, replyCount),
          (err: unknown) => new Array<Reply>(replyCount).fill(toReply(err, 'onData', session)),
        )
        .then((replies) => {
          body.destroy(); // a handler that did not read it all: drain the rest of DATA
          logger.debug(
            {
              event: 'data',
              session: session.id,
              recipients: recipients.length,
              codes: replies.map((r) => r.code),
            },
            'message handled',
          );
          if (lmtp) return callback(null, replies.map(libraryDataReply) as SMTPServerDataResult[]);
          const reply = replies[0] as Reply;
          if (reply.code >= 200 && reply.code < 300) return callback(null, replyText(reply));
          callback(libraryError(reply));
        });
    },
    onClose(session) {
      accepted.delete(session);
      handlers.onClose?.(session);
    },
  };

  const policy = {
    pregreetMs: o.pregreetMs,
    maxConnections: o.maxConnections,
    maxConnectionsPerClient: o.maxConnectionsPerClient,
    commandTimeoutMs: o.commandTimeoutMs,
    dataTimeoutMs: o.dataTimeoutMs,
    minDataRate: o.minDataRate,
    maxProtocolErrors: o.maxProtocolErrors,
    logger,
    commands: options.commands ?? {},
    params: { dsn: options.dsn === true, auth: options.auth !== undefined },
    ...(options.auth?.allowCleartext ? { allowCleartextAuth: options.auth.allowCleartext } : {}),
  };
  const server = new ListenerServer(serverOptions, policy);
  server.on('error', (err: Error) => {
    logger.warn(
      { event: 'server-error', err: err.message, code: (err as NodeJS.ErrnoException).code },
      'listener error',
    );
  });

  return {
    async listen(portOrPath, host) {
      const net = server.server;
      const unixPath = typeof portOrPath === 'string' && !/^\d+$/.test(portOrPath) ? portOrPath : undefined;
      if (unixPath) await removeStaleSocket(unixPath);
      await new Promise<void>((resolve, reject) => {
        net.once('error', reject);
        const ready = () => {
          net.off('error', reject);
          resolve();
        };
        if (unixPath) net.listen(unixPath, ready);
        else net.listen({ port: Number(portOrPath), host: host ?? '127.0.0.1' }, ready);
      });
      const bound = net.address();
      const address: ListenerAddress =
        typeof bound === 'string' || bound === null
          ? { path: unixPath ?? String(bound) }
          : { port: (bound as AddressInfo).port, host: bound.address, family: bound.family };
      logger.info({ event: 'listening', protocol: lmtp ? 'lmtp' : 'smtp', ...address }, 'listening');
      return address;
    },
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of server.connections) (connection as ListenerConnection).shutdown();
      return closed;
    },
    get connections() {
      return server.connections.size;
    },
    setTls(tls) {
      // The library reads its context map at every STARTTLS and implicit-TLS handshake.
      if (options.tls) server.updateSecureContext({ key: tls.key, cert: tls.cert });
    },
  };
}

function addRecipient(
  accepted: WeakMap<SmtpSession, Recipient[]>,
  session: SmtpSession,
  address: SmtpAddress,
  keepDuplicates: boolean,
): void {
  const list = accepted.get(session) ?? [];
  accepted.set(session, list);
  const key = address.address.toLowerCase();
  const index = list.findIndex((r) => r.address.toLowerCase() === key);
  // LMTP owes one reply per accepted RCPT, so a repeated one stays; SMTP delivers it once
  if (index >= 0 && !keepDuplicates) list[index] = toRecipient(address);
  else list.push(toRecipient(address));
}

/** Exactly `count` replies: a single one repeated, missing ones (a handler bug) as 451. */
function fitReplies(result: Reply | Reply[], count: number): Reply[] {
  if (!Array.isArray(result)) return new Array<Reply>(count).fill(result);
  const missing: Reply = { code: 451, enhanced: '4.3.0', text: 'No result for this recipient' };
  return Array.from({ length: count }, (_, i) => result[i] ?? missing);
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

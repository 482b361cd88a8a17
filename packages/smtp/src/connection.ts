import type net from 'node:net';
import type { Readable } from 'node:stream';
import type { Logger } from '@mailstack/core';
import type { SMTPServer } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import {
  argumentOf,
  type CommandContext,
  etrn,
  expand,
  help,
  type SmtpCommandOptions,
  turn,
  verify,
} from './commands.ts';
import { InputDeadlines } from './input-deadlines.ts';
import { checkMailParams, checkRcptParams, type ParamPolicy } from './params.ts';
import { carriesEnhancedCode } from './replies.ts';

/** Per-listener limits a connection enforces on itself. */
export interface ConnectionPolicy {
  /** Milliseconds to wait before the 220 greeting; a client talking earlier gets 421. 0 = off. */
  pregreetMs: number;
  /** Open sessions allowed; the one beyond gets `421 4.7.0` and is closed. */
  maxConnections: number;
  /** Open sessions allowed from one client address; the one beyond gets `421 4.7.0`. */
  maxConnectionsPerClient: number;
  /** Total time from the first byte of a command line to its end (a slow drip is cut off). */
  commandTimeoutMs: number;
  /** Time for one DATA, plus one second per `minDataRate` bytes received. */
  dataTimeoutMs: number;
  /** Slowest acceptable DATA transfer in bytes per second. */
  minDataRate: number;
  /** Syntax/sequence errors (500-504, 555) allowed per connection before `421 4.7.0`. */
  maxProtocolErrors: number;
  logger: Logger;
  /** HELP/VRFY/EXPN/ETRN behaviour (see commands.ts). */
  commands: SmtpCommandOptions;
  /** Which MAIL/RCPT parameters are supported (the rest get 555). */
  params: ParamPolicy;
  /**
   * AUTH is offered and accepted only over TLS, except where this says yes for a cleartext
   * session (a loopback development switch). Undefined: never in cleartext.
   */
  allowCleartextAuth?: (remoteAddress: string) => boolean;
}

/** HELO/EHLO/LHLO replies carry no enhanced code, but their refusals must. */
const GREETING_CONTEXTS = new Set(['HELO', 'EHLO', 'LHLO']);
const LINE_TOO_LONG = 'Error: Command line too long';

/** Replies that mean the client sent something malformed or out of order. */
const PROTOCOL_ERROR_CODES = new Set([500, 501, 502, 503, 504, 555]);

/**
 * smtp-server 3.21.6's SMTPConnection with three changes, all by overriding methods the
 * library declares public in its typings (no fork, no patch file):
 *
 * 1. Pregreet delay. `init()` in lib/smtp-connection.js waits a hard-coded 100 ms before
 *    `connectionReady()` sends the 220 greeting; a command arriving earlier is refused
 *    with "421 You talk too soon". That catches spam bots on port 25 but costs every
 *    LMTP/submission connection 100 ms. `init()` below is the library's own body with the
 *    delay taken from the policy (and our connection cap, see 2). With the delay off, a
 *    command that still beats the greeting (reverse lookup and onConnect are asynchronous)
 *    is held until the greeting went out instead of being refused.
 * 2. Connection cap answered with `421 4.7.0` (the library's maxClients reply has no
 *    enhanced code).
 * 3. Replies whose text starts with an enhanced code keep it (instead of the library's
 *    table lookup), every refusal carries one (the library sends some with none), and
 *    protocol errors are counted towards a per-connection budget.
 * 4. The RFC 5321 4.1 commands the library lacks or answers loosely: HELP with a topic,
 *    VRFY (252 2.5.0 unless enabled for authenticated users), EXPN, TURN, ETRN (commands.ts);
 *    `555` for unsupported MAIL/RCPT parameters and `553 5.6.7` for a non-ASCII address
 *    without SMTPUTF8 (params.ts).
 * 5. AUTH only over TLS (538 5.7.11 before it, and not advertised in EHLO), with a
 *    per-client exception for a development switch.
 * 6. Limits the library lacks: a cap per client address (`421 4.7.0`), total deadlines for a
 *    command line and for DATA that trickled bytes cannot stretch (input-deadlines.ts, `421
 *    4.4.2`), and a shutdown that says `421 4.3.2` to idle sessions at once and to the
 *    others when their transaction ends.
 *
 * test/pregreet.test.ts pins the library version and fails if these hooks stop working.
 */
export class ListenerConnection extends SMTPConnection {
  readonly #policy: ConnectionPolicy;
  #greetTimer: NodeJS.Timeout | undefined;
  /** A command that arrived before the greeting while the pregreet delay is off. */
  #early: { command: Buffer; callback: (() => void) | undefined } | undefined;
  #protocolErrors = 0;
  #deadlines: InputDeadlines | undefined;
  /** The server is stopping: `421` once no transaction is open. */
  #shuttingDown = false;

  constructor(
    server: SMTPServer,
    socket: net.Socket,
    options: SMTPConnectionOptions | undefined,
    policy: ConnectionPolicy,
  ) {
    super(server, socket, options);
    this.#policy = policy;
  }

  /**
   * The library makes a parser per socket (a new one after STARTTLS) and pipes the socket
   * into it: the deadlines watch whatever is piped. Runs first inside the library's
   * constructor, before this class's fields exist, so it only registers a listener.
   */
  override _createParser(): SMTPStream {
    const parser = super._createParser();
    parser.on('pipe', (source: Readable) => this.watchInput(source));
    return parser;
  }

  /** Starts the command-line and DATA deadlines on what arrives from `source`. */
  watchInput(source: Readable): void {
    this.#deadlines ??= new InputDeadlines(this, this.#policy);
    this.#deadlines.watch(source);
  }

  override init(): void {
    this._setListeners(() => {
      if (this._server.connections.size > this.#policy.maxConnections) {
        this.#policy.logger.warn(
          { event: 'too-many-connections', remote: this.remoteAddress, limit: this.#policy.maxConnections },
          'too many connections',
        );
        this.send(421, `4.7.0 ${this.name} Too many connections, try again later`, false);
        return;
      }
      if (this.#fromSameClient() > this.#policy.maxConnectionsPerClient) {
        this.#policy.logger.warn(
          {
            event: 'too-many-connections-from-client',
            remote: this.remoteAddress,
            limit: this.#policy.maxConnectionsPerClient,
          },
          'too many connections from one client',
        );
        this.send(421, `4.7.0 ${this.name} Too many connections from your address, try again later`, false);
        return;
      }
      if (this.#policy.pregreetMs <= 0) {
        this.connectionReady();
        return;
      }
      this.#policy.logger.debug({
        event: 'pregreet-wait',
        remote: this.remoteAddress,
        ms: this.#policy.pregreetMs,
      });
      this.#greetTimer = setTimeout(() => this.connectionReady(), this.#policy.pregreetMs);
      this.#greetTimer.unref();
      this._socket.once('close', () => clearTimeout(this.#greetTimer));
    });
  }

  override _onCommand(command: Buffer, callback?: () => void): void {
    this.#deadlines?.lineDone();
    if (!this._ready && !this._closing) {
      if (this.#policy.pregreetMs > 0) {
        this.#policy.logger.info(
          { event: 'early-talker', remote: this.remoteAddress },
          'client talked before 220',
        );
        // the library's own check answers "421 You talk too soon" and closes
      } else {
        // the parser waits for `callback` before dispatching the next line, so at most one is held
        this.#early = { command, callback };
        this.#policy.logger.debug(
          { event: 'early-command-held', remote: this.remoteAddress },
          'held until 220',
        );
        return;
      }
    }
    super._onCommand(command, callback);
  }

  override _sendGreeting(): void {
    super._sendGreeting();
    const early = this.#early;
    this.#early = undefined;
    if (early) super._onCommand(early.command, early.callback);
  }

  override handler_HELP(command: Buffer, callback: () => void): void {
    help(this.#context(), argumentOf(command));
    callback();
  }

  override handler_VRFY(command: Buffer, callback: () => void): void {
    this.#run(callback, () => verify(this.#context(), argumentOf(command), this.#policy.commands));
  }

  handler_EXPN(command: Buffer, callback: () => void): void {
    this.#run(callback, () => expand(this.#context(), argumentOf(command), this.#policy.commands));
  }

  handler_TURN(_command: Buffer, callback: () => void): void {
    turn(this.#context());
    callback();
  }

  handler_ETRN(command: Buffer, callback: () => void): void {
    this.#run(callback, () => etrn(this.#context(), argumentOf(command), this.#policy.commands));
  }

  override handler_MAIL(command: Buffer, callback: () => void): void {
    const parsed = this._parseAddressCommand('mail from', command);
    // syntax errors and a nested MAIL are the library's to answer
    if (parsed && !this.session.envelope.mailFrom) {
      const refusal = checkMailParams(parsed.address, parsed.args, this.#policy.params);
      if (refusal) {
        this.#refuse(refusal, callback);
        return;
      }
    }
    super.handler_MAIL(command, callback);
  }

  override handler_RCPT(command: Buffer, callback: () => void): void {
    const parsed = this._parseAddressCommand('rcpt to', command);
    if (parsed && this.session.envelope.mailFrom) {
      const utf8 = this.session.envelope.smtpUtf8 === true;
      const refusal = checkRcptParams(parsed.address, parsed.args, this.#policy.params, utf8);
      if (refusal) {
        this.#refuse(refusal, callback);
        return;
      }
    }
    super.handler_RCPT(command, callback);
  }

  override handler_AUTH(command: Buffer, callback: () => void): void {
    if (!this.#authAllowed()) {
      this.#refuse({ code: 538, enhanced: '5.7.11', text: 'Must issue a STARTTLS command first' }, callback);
      return;
    }
    super.handler_AUTH(command, callback);
  }

  /**
   * The library lists AUTH whenever it is enabled; before TLS it must not be offered. Its
   * EHLO handler is synchronous, so the mechanisms are hidden for exactly this one call
   * and restored before the parser may run the next (pipelined) command.
   */
  override handler_EHLO(command: Buffer, callback: () => void): void {
    const options = this._server.options;
    const methods = options.authMethods;
    if (this.#authAllowed() || !methods) {
      super.handler_EHLO(command, callback);
      return;
    }
    const restore = () => {
      options.authMethods = methods;
    };
    options.authMethods = [];
    try {
      super.handler_EHLO(command, () => {
        restore();
        callback();
      });
    } finally {
      restore();
    }
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    if (code === 421 && data === LINE_TOO_LONG) {
      // RFC 5321 4.5.3.1.4: "500 Line too long", then this listener hangs up
      super.send(500, '5.5.2 Line too long', false);
      super.send(421, `4.7.0 ${this.name} Closing connection`, false);
      return;
    }
    const first = Array.isArray(data) ? data[0] : data;
    const explicit = typeof first === 'string' && carriesEnhancedCode(code, first);
    let ctx = context;
    if (explicit) ctx = false;
    else if (code === 538) {
      data = `5.7.11 ${typeof data === 'string' ? data : 'Must issue a STARTTLS command first'}`;
      ctx = false;
    } else if (code >= 400 && (ctx === false || (ctx !== undefined && GREETING_CONTEXTS.has(ctx)))) {
      ctx = undefined; // every refusal carries an enhanced code, also those the library sends without
    }
    super.send(code, data, ctx);
    if (!PROTOCOL_ERROR_CODES.has(code) || this._closing) return;
    this.#protocolErrors++;
    if (this.#protocolErrors >= this.#policy.maxProtocolErrors) {
      this.#policy.logger.warn(
        { event: 'too-many-errors', remote: this.remoteAddress, errors: this.#protocolErrors },
        'too many protocol errors, closing',
      );
      super.send(421, `4.7.0 ${this.name} Too many errors, closing connection`, false);
    }
  }

  /**
   * Server shutdown: `421 4.3.2` at once when no transaction is open, else as soon as it
   * ends (the reply to DATA, RSET); the server's close timeout bounds the wait.
   */
  shutdown(): void {
    this.#shuttingDown = true;
    this.#leaveIfIdle();
  }

  override _resetSession(): void {
    super._resetSession();
    // after the reply to DATA/RSET/EHLO: the transaction is over
    if (this.#shuttingDown) queueMicrotask(() => this.#leaveIfIdle());
  }

  /** Ends the connection with `421 4.4.2` when a command line or DATA took too long. */
  expire(what: 'command' | 'data'): void {
    if (this._closing) return;
    this.#policy.logger.info({ event: 'deadline', remote: this.remoteAddress, what }, 'input too slow');
    const text = what === 'data' ? 'DATA took too long' : 'Command line took too long';
    super.send(421, `4.4.2 ${this.name} ${text}, closing connection`, false);
    this.close();
  }

  #leaveIfIdle(): void {
    if (this._closing || this._closed) return;
    const inTransaction = !!this.session.envelope?.mailFrom || !!this._dataStream;
    if (inTransaction) return;
    super.send(421, `4.3.2 ${this.name} Service shutting down, closing connection`, false);
    this.close();
  }

  #fromSameClient(): number {
    let n = 0;
    for (const c of this._server.connections) if (c.remoteAddress === this.remoteAddress) n++;
    return n;
  }

  #authAllowed(): boolean {
    return this.secure || this.#policy.allowCleartextAuth?.(this.remoteAddress) === true;
  }

  #context(): CommandContext {
    return {
      session: this.session,
      remoteAddress: this.remoteAddress,
      reply: (code, enhanced, lines) => {
        const list = Array.isArray(lines) ? lines : [lines];
        this.send(
          code,
          list.map((l) => `${enhanced} ${l}`),
          false,
        );
      },
    };
  }

  #refuse(reply: { code: number; enhanced: string; text: string }, callback: () => void): void {
    this.send(reply.code, `${reply.enhanced} ${reply.text}`, false);
    callback();
  }

  /** An asynchronous command: a failure of the hook is a 451, never an escaped rejection. */
  #run(callback: () => void, work: () => Promise<void>): void {
    work().then(callback, (err: unknown) => {
      this.#policy.logger.error({ event: 'command-failed', err: String(err) }, 'command handler failed');
      this.send(451, '4.3.0 Local error in processing', false);
      callback();
    });
  }
}

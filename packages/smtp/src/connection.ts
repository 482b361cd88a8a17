import type net from 'node:net';
import type { Logger } from '@mailstack/core';
import type { SMTPServer } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import { carriesEnhancedCode } from './replies.ts';

/** Per-listener limits a connection enforces on itself. */
export interface ConnectionPolicy {
  /** Milliseconds to wait before the 220 greeting; a client talking earlier gets 421. 0 = off. */
  pregreetMs: number;
  /** Open sessions allowed; the one beyond gets `421 4.7.0` and is closed. */
  maxConnections: number;
  /** Syntax/sequence errors (500-504, 555) allowed per connection before `421 4.7.0`. */
  maxProtocolErrors: number;
  logger: Logger;
}

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
 *    table lookup), and protocol errors are counted towards a per-connection budget.
 *
 * test/pregreet.test.ts pins the library version and fails if these hooks stop working.
 */
export class ListenerConnection extends SMTPConnection {
  readonly #policy: ConnectionPolicy;
  #greetTimer: NodeJS.Timeout | undefined;
  /** A command that arrived before the greeting while the pregreet delay is off. */
  #early: { command: Buffer; callback: (() => void) | undefined } | undefined;
  #protocolErrors = 0;

  constructor(
    server: SMTPServer,
    socket: net.Socket,
    options: SMTPConnectionOptions | undefined,
    policy: ConnectionPolicy,
  ) {
    super(server, socket, options);
    this.#policy = policy;
  }

  override init(): void {
    this._setListeners(() => {
      if (this._server.connections.size > this.#policy.maxConnections) {
        this.#policy.logger.warn(
          { event: 'connection-refused', remote: this.remoteAddress, limit: this.#policy.maxConnections },
          'too many connections',
        );
        this.send(421, `4.7.0 ${this.name} Too many connections, try again later`, false);
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

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    const explicit = typeof data === 'string' && carriesEnhancedCode(code, data);
    super.send(code, data, explicit ? false : context);
    if (!PROTOCOL_ERROR_CODES.has(code) || this._closing) return;
    this.#protocolErrors++;
    if (this.#protocolErrors >= this.#policy.maxProtocolErrors) {
      this.#policy.logger.warn(
        { event: 'error-budget', remote: this.remoteAddress, errors: this.#protocolErrors },
        'too many protocol errors, closing',
      );
      super.send(421, `4.7.0 ${this.name} Too many errors, closing connection`, false);
    }
  }
}

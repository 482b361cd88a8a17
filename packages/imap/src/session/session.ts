import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Directory, Logger, MailboxStore, MetricsSink } from '@mailstack/core';
import type { AuthThrottle } from '@mailstack/directory';
import {
  type ConnectionLimits,
  type GoodbyeReason,
  LineConnection,
  literalDeadlineMs,
} from '@mailstack/line-server';
import { dispatch } from '../commands/dispatch.ts';
import type { Completion, SessionContext } from '../commands/types.ts';
import { CommandParser } from '../parser/command-parser.ts';
import type { IncomingLiteral, ParserEvent } from '../parser/types.ts';
import { ResponseWriter } from '../writer/response-writer.ts';
import type { Response } from '../writer/types.ts';
import { AppendBody } from './append-body.ts';
import { capabilityList } from './capabilities.ts';
import { login } from './login.ts';
import type { SessionState } from './state.ts';

/** What every session of one server shares. */
export interface SessionConfig {
  directory: Directory;
  store: MailboxStore;
  hostname: string;
  secureContext?: SecureContext;
  allowCleartextAuthOnLoopback: boolean;
  throttle: AuthThrottle;
  metrics: MetricsSink;
  idleTimeoutMs: number;
  maxAppendSize: number;
  limits: Required<ConnectionLimits>;
  logger: Logger;
}

/** What the client reads when we close the connection. */
const GOODBYES: Record<GoodbyeReason, string> = {
  idle: '* BYE autologout; idle for too long\r\n',
  login: '* BYE login took too long\r\n',
  command: '* BYE command line took too long\r\n',
  literal: '* BYE literal took too long\r\n',
  shutdown: '* BYE server shutting down\r\n',
};

/** Protocol errors in a row before we hang up. */
const MAX_STRIKES = 20;

/**
 * One IMAP connection: owns the socket (plain, then TLS after STARTTLS), feeds the parser,
 * runs one command at a time in arrival order and writes through the ResponseWriter.
 */
export class ImapSession implements SessionContext {
  readonly #config: SessionConfig;
  readonly log: Logger;
  readonly remoteAddress: string | undefined;
  readonly #conn: LineConnection<ParserEvent>;
  #writer: ResponseWriter;
  readonly #parser: CommandParser;
  #strikes = 0;
  /** A command is being served: shutdown waits for it, unless it waits for the client. */
  #busy = false;
  /** In IDLE or waiting for a SASL response: shutdown need not wait. */
  #waitingForClient = false;
  #shuttingDown = false;
  state: SessionState = { name: 'not-authenticated' };

  constructor(socket: Socket, config: SessionConfig, tlsActive: boolean) {
    this.#config = config;
    this.remoteAddress = socket.remoteAddress;
    this.log = config.logger.child({ remote: socket.remoteAddress, port: socket.remotePort });
    // APPEND messages stream to the store instead of being buffered whole (up to the limit).
    this.#parser = new CommandParser({ maxAppendSize: config.maxAppendSize, streamAppend: true });
    // Replies go out as written (the writer coalesces what one tick writes): no Nagle delay
    // waiting for the client's delayed ACK between a command's last lines.
    socket.setNoDelay(true);
    this.#writer = new ResponseWriter(socket);
    const limits = config.limits;
    this.#conn = new LineConnection(socket, {
      decode: (chunk) => this.#parser.feed(chunk),
      heldBytes: () => this.#parser.bufferedBytes,
      maxHeldBytes: limits.maxHeldBytes,
      pendingUnit: () => {
        const unit = this.#parser.pendingInput;
        if (!unit) return null;
        return unit.kind === 'line'
          ? { id: unit.id, reason: 'command', timeoutMs: limits.commandTimeoutMs }
          : { id: unit.id, reason: 'literal', timeoutMs: literalDeadlineMs(limits, unit.size) };
      },
      idleTimeoutMs: config.idleTimeoutMs,
      goodbye: (reason) => GOODBYES[reason],
      logger: this.log,
      tlsActive,
      ...(config.secureContext ? { starttls: config.secureContext } : {}),
      allowCleartextAuthOnLoopback: config.allowCleartextAuthOnLoopback,
    });
    this.#conn.setDeadline('login', limits.loginTimeoutMs);
  }

  // ---- SessionContext -------------------------------------------------------------------

  get store(): MailboxStore {
    return this.#config.store;
  }
  get directory(): Directory {
    return this.#config.directory;
  }
  get hostname(): string {
    return this.#config.hostname;
  }
  get throttle(): AuthThrottle {
    return this.#config.throttle;
  }
  get metrics(): MetricsSink {
    return this.#config.metrics;
  }
  get maxAppendSize(): number {
    return this.#config.maxAppendSize;
  }
  get tlsActive(): boolean {
    return this.#conn.tlsActive;
  }
  get tlsOffered(): boolean {
    return this.#conn.tlsOffered;
  }
  get cleartextAuthAllowed(): boolean {
    return this.#conn.authAllowed;
  }
  get closed(): boolean {
    return this.#conn.closed;
  }

  capabilities(): string[] {
    return capabilityList({
      authenticated: this.state.name !== 'not-authenticated',
      tlsOffered: this.tlsOffered,
      authAllowed: this.cleartextAuthAllowed,
      maxAppendSize: this.#config.maxAppendSize,
    });
  }

  async setState(next: SessionState): Promise<void> {
    const prev = this.state;
    this.state = next;
    if (next.name !== 'not-authenticated') this.#conn.clearDeadline('login');
    if (prev.name === 'selected' && (next.name !== 'selected' || next.view !== prev.view)) {
      await prev.view.folder.close().catch((err: unknown) => {
        this.log.warn({ event: 'folder-close-failed', err: String(err) });
      });
    }
  }

  send(response: Response): Promise<void> {
    if (this.#conn.closed) return Promise.resolve();
    return this.#writer.write(response);
  }

  async sendAll(responses: Iterable<Response>): Promise<void> {
    for (const r of responses) await this.send(r);
  }

  appendBody(literal: IncomingLiteral): AppendBody {
    return new AppendBody(literal, {
      next: () => this.#conn.next(),
      sendContinue: () => this.send({ type: 'continue', text: 'Ready for literal data' }),
      refuse: () => this.#parser.refuseLiteral(),
    });
  }

  async readLine(text: string): Promise<string | null> {
    await this.send({ type: 'continue', text });
    this.#conn.push(this.#parser.lineMode());
    const ev = await this.#waitForClient();
    if (ev?.kind !== 'line') return null;
    return ev.line;
  }

  login(user: string, password: string): Promise<Completion> {
    return login(this, user, password);
  }

  sleep(ms: number): Promise<void> {
    return this.#conn.sleep(ms);
  }

  enable(_capability: string): boolean {
    // Nothing ENABLE-able is implemented yet (UTF8=ACCEPT, CONDSTORE come later).
    return false;
  }

  async idle(): Promise<Completion> {
    const state = this.state;
    let chain: Promise<void> = Promise.resolve();
    let stop = (): void => {};
    const push = (): void => {
      chain = chain
        .then(async () => {
          if (this.state.name === 'selected' && !this.#conn.closed)
            await this.sendAll(await this.state.view.sync(true));
        })
        .catch((err: unknown) => this.log.warn({ event: 'idle-sync-failed', err: String(err) }));
    };
    await this.send({ type: 'continue', text: 'idling' });
    if (state.name === 'selected') {
      stop = state.view.folder.watch(push);
      push();
    }
    this.#conn.push(this.#parser.lineMode());
    const ev = await this.#waitForClient();
    stop();
    await chain;
    if (ev?.kind !== 'line') return { status: 'BAD', text: 'IDLE ended without DONE' };
    if (ev.line.trim().toUpperCase() !== 'DONE') return { status: 'BAD', text: 'expected DONE' };
    return { status: 'OK', text: 'IDLE terminated' };
  }

  async startTls(): Promise<void> {
    if (!this.#conn.tlsOffered) return;
    // RFC 3501 6.2.1: nothing the client sent before the handshake may be acted on.
    this.#parser.takeHeld();
    const secure = await this.#conn.startTls();
    if (!secure) return;
    this.#writer = new ResponseWriter(secure);
    this.log.debug({ event: 'starttls', protocol: secure.getProtocol() });
  }

  end(): void {
    this.#conn.end();
  }

  // ---- running --------------------------------------------------------------------------

  /** Greets and serves commands until the connection ends. Never rejects. */
  async run(): Promise<void> {
    try {
      await this.send({
        type: 'untagged',
        status: 'OK',
        code: { code: 'CAPABILITY', capabilities: this.capabilities() },
        text: `${this.#config.hostname} IMAP4rev1 ready`,
      });
      for (;;) {
        const ev = await this.#conn.next();
        if (!ev) break;
        this.#busy = true;
        await this.#serve(ev);
        this.#busy = false;
        if (this.#shuttingDown) await this.#goodbye();
      }
    } catch (err) {
      this.log.error({ event: 'session-error', err: String(err) });
      this.#conn.destroy();
    } finally {
      await this.#cleanup();
    }
  }

  destroy(): void {
    this.#conn.destroy();
  }

  /** Server shutdown: `* BYE` now when waiting for the client (also in IDLE), else after the command. */
  shutdown(): void {
    this.#shuttingDown = true;
    if (!this.#busy || this.#waitingForClient) void this.#goodbye();
  }

  /** The next event inside a command that waits for the client (IDLE's DONE, a SASL response). */
  async #waitForClient(): Promise<ParserEvent | null> {
    this.#waitingForClient = true;
    if (this.#shuttingDown) void this.#goodbye();
    try {
      return await this.#conn.next();
    } finally {
      this.#waitingForClient = false;
    }
  }

  async #goodbye(): Promise<void> {
    if (this.#conn.closed) return;
    const write = this.#conn.write(GOODBYES.shutdown);
    this.#conn.end();
    await write;
  }

  async #serve(ev: ParserEvent): Promise<void> {
    switch (ev.kind) {
      case 'continue':
        // Only small literals come here (the parser refused larger ones; APPEND messages
        // stream, and their handler sends `+` itself).
        await this.send({ type: 'continue', text: ev.text });
        return;
      case 'line':
      case 'literal-data':
        return;
      case 'literal-end':
        // A streamed APPEND's handler reads through this itself; one left over means the
        // handler failed early. A fatal one still ends the session: the framing is lost.
        if (!ev.ok && ev.fatal) {
          await this.send({ type: 'untagged', status: 'BYE', text: 'protocol error; closing' });
          this.end();
        }
        return;
      case 'error':
        await this.send(
          ev.tag
            ? {
                type: 'tagged',
                tag: ev.tag,
                status: ev.status,
                ...(ev.code ? { code: ev.code } : {}),
                text: ev.text,
              }
            : { type: 'untagged', status: 'BAD', text: ev.text },
        );
        if (ev.fatal || ++this.#strikes >= MAX_STRIKES) {
          await this.send({ type: 'untagged', status: 'BYE', text: 'protocol error; closing' });
          this.end();
        }
        return;
      case 'command': {
        this.#strikes = 0;
        await dispatch(this, ev.command);
        // AUTHENTICATE/IDLE/STARTTLS paused the parser; what followed is commands again.
        if (this.#parser.paused && !this.#conn.closed) this.#conn.push(this.#parser.commandMode());
        return;
      }
    }
  }

  async #cleanup(): Promise<void> {
    await this.setState({ name: 'not-authenticated' });
    if (!this.#conn.socket.destroyed) this.#conn.socket.end();
  }
}

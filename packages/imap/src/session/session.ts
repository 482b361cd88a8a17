import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { type Directory, isLoopback, type Logger, type MailboxStore } from '@mailstack/core';
import type { AuthThrottle } from '@mailstack/directory';
import { dispatch } from '../commands/dispatch.ts';
import type { Completion, SessionContext } from '../commands/types.ts';
import { CommandParser } from '../parser/command-parser.ts';
import type { ParserEvent } from '../parser/types.ts';
import { ResponseWriter } from '../writer/response-writer.ts';
import type { Response } from '../writer/types.ts';
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
  idleTimeoutMs: number;
  maxAppendSize: number;
  logger: Logger;
}

/** Parsed events queued before we stop reading the socket (backpressure on pipelining clients). */
const QUEUE_HIGH = 64;
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
  #socket: Socket;
  #writer: ResponseWriter;
  readonly #parser: CommandParser;
  #queue: ParserEvent[] = [];
  #wake: (() => void) | null = null;
  #closeWaiters = new Set<() => void>();
  #closed = false;
  #ended = false;
  #strikes = 0;
  #tlsActive: boolean;
  state: SessionState = { name: 'not-authenticated' };

  constructor(socket: Socket, config: SessionConfig, tlsActive: boolean) {
    this.#config = config;
    this.#socket = socket;
    this.#tlsActive = tlsActive;
    this.remoteAddress = socket.remoteAddress;
    this.log = config.logger.child({ remote: socket.remoteAddress, port: socket.remotePort });
    this.#parser = new CommandParser({ maxAppendSize: config.maxAppendSize });
    this.#writer = new ResponseWriter(socket);
    this.#attach(socket);
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
  get maxAppendSize(): number {
    return this.#config.maxAppendSize;
  }
  get tlsActive(): boolean {
    return this.#tlsActive;
  }
  get tlsOffered(): boolean {
    return !!this.#config.secureContext && !this.#tlsActive;
  }
  get cleartextAuthAllowed(): boolean {
    return this.#tlsActive || (this.#config.allowCleartextAuthOnLoopback && isLoopback(this.remoteAddress));
  }
  get closed(): boolean {
    return this.#closed;
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
    if (prev.name === 'selected' && (next.name !== 'selected' || next.view !== prev.view)) {
      await prev.view.folder.close().catch((err: unknown) => {
        this.log.warn({ event: 'folder-close-failed', err: String(err) });
      });
    }
  }

  send(response: Response): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.#writer.write(response);
  }

  async sendAll(responses: Iterable<Response>): Promise<void> {
    for (const r of responses) await this.send(r);
  }

  async readLine(text: string): Promise<string | null> {
    await this.send({ type: 'continue', text });
    this.#enqueue(this.#parser.lineMode());
    const ev = await this.#next();
    if (ev?.kind !== 'line') return null;
    return ev.line;
  }

  login(user: string, password: string): Promise<Completion> {
    return login(this, user, password);
  }

  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#closeWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#closeWaiters.add(done);
    });
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
          if (this.state.name === 'selected' && !this.#closed)
            await this.sendAll(await this.state.view.sync(true));
        })
        .catch((err: unknown) => this.log.warn({ event: 'idle-sync-failed', err: String(err) }));
    };
    await this.send({ type: 'continue', text: 'idling' });
    if (state.name === 'selected') {
      stop = state.view.folder.watch(push);
      push();
    }
    this.#enqueue(this.#parser.lineMode());
    const ev = await this.#next();
    stop();
    await chain;
    if (ev?.kind !== 'line') return { status: 'BAD', text: 'IDLE ended without DONE' };
    if (ev.line.trim().toUpperCase() !== 'DONE') return { status: 'BAD', text: 'expected DONE' };
    return { status: 'OK', text: 'IDLE terminated' };
  }

  async startTls(): Promise<void> {
    const context = this.#config.secureContext;
    if (!context) return;
    // RFC 3501 6.2.1: nothing the client sent before the handshake may be acted on.
    this.#parser.takeHeld();
    this.#queue = [];
    const plain = this.#socket;
    this.#detach(plain);
    plain.setTimeout(0);
    const secure = new TLSSocket(plain, { isServer: true, secureContext: context });
    this.#attach(secure);
    this.#writer = new ResponseWriter(secure);
    await new Promise<void>((resolve) => {
      secure.once('secure', resolve);
      secure.once('close', resolve);
    });
    if (this.#closed) return;
    this.#tlsActive = true;
    this.log.debug({ event: 'starttls', protocol: secure.getProtocol() });
  }

  end(): void {
    this.#ended = true;
    this.#closed = true;
    this.#socket.end();
    this.#wakeUp();
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
        const ev = await this.#next();
        if (!ev) break;
        await this.#serve(ev);
      }
    } catch (err) {
      this.log.error({ event: 'session-error', err: String(err) });
      this.#socket.destroy();
    } finally {
      await this.#cleanup();
    }
  }

  destroy(): void {
    this.#socket.destroy();
  }

  async #serve(ev: ParserEvent): Promise<void> {
    switch (ev.kind) {
      case 'continue':
        if (ev.command === 'APPEND' && ev.size > this.#config.maxAppendSize && this.#parser.refuseLiteral()) {
          await this.send({
            type: 'tagged',
            tag: ev.tag,
            status: 'NO',
            code: { code: 'TOOBIG' },
            text: 'message too big',
          });
          return;
        }
        await this.send({ type: 'continue', text: ev.text });
        return;
      case 'line':
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
        if (this.#parser.paused && !this.#closed) this.#enqueue(this.#parser.commandMode());
        return;
      }
    }
  }

  #enqueue(events: ParserEvent[]): void {
    if (events.length === 0) return;
    this.#queue.push(...events);
    if (this.#queue.length >= QUEUE_HIGH) this.#socket.pause();
    this.#wakeUp();
  }

  async #next(): Promise<ParserEvent | null> {
    for (;;) {
      if (this.#ended) return null;
      const ev = this.#queue.shift();
      if (ev) {
        if (this.#queue.length < QUEUE_HIGH / 2 && this.#socket.isPaused()) this.#socket.resume();
        return ev;
      }
      if (this.#closed) return null;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    this.#enqueue(this.#parser.feed(chunk));
  };

  #onClose = (): void => {
    this.#closed = true;
    for (const w of [...this.#closeWaiters]) w();
    this.#wakeUp();
  };

  #onError = (err: Error): void => {
    this.log.debug({ event: 'socket-error', err: err.message });
  };

  #onTimeout = (): void => {
    this.log.info({ event: 'idle-timeout' });
    const socket = this.#socket;
    socket.write('* BYE autologout; idle for too long\r\n', () => socket.destroy());
    setTimeout(() => socket.destroy(), 1000).unref();
    this.#ended = true;
    this.#closed = true;
    this.#wakeUp();
  };

  #attach(socket: Socket): void {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.on('close', this.#onClose);
    socket.on('error', this.#onError);
    socket.on('timeout', this.#onTimeout);
    socket.setTimeout(this.#config.idleTimeoutMs);
  }

  #detach(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('close', this.#onClose);
    socket.off('error', this.#onError);
    socket.off('timeout', this.#onTimeout);
  }

  async #cleanup(): Promise<void> {
    await this.setState({ name: 'not-authenticated' });
    if (!this.#socket.destroyed) this.#socket.end();
  }
}

import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { type Directory, isLoopback, type Logger, type MailboxStore } from '@mailstack/core';
import type { AuthThrottle } from '@mailstack/directory';
import type { CommandContext } from './commands/types.ts';
import { MAX_COMMAND_OCTETS, parseCommand } from './dispatch.ts';
import { DotStuffer } from './dot-stuffer.ts';
import { LineSplitter, type SplitItem } from './line-splitter.ts';
import { login } from './login.ts';
import type { DropMessage } from './maildrop.ts';
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
  implementation: string;
  logger: Logger;
}

/** Longest line kept at all: SASL responses may exceed the 255-octet command limit. */
const MAX_LINE_BYTES = 4096;
/** Bad commands in a row before we hang up on the client. */
const MAX_STRIKES = 10;
/** Pipelined lines queued before we stop reading the socket (backpressure on the client). */
const QUEUE_HIGH = 64;

/**
 * One POP3 connection: owns the socket (plain, then TLS after STLS), splits lines, runs
 * commands one at a time in arrival order (PIPELINING), and writes with backpressure.
 */
export class Pop3Session implements CommandContext {
  readonly #config: SessionConfig;
  readonly log: Logger;
  readonly remoteAddress: string | undefined;
  #socket: Socket;
  #splitter = new LineSplitter(MAX_LINE_BYTES);
  #queue: SplitItem[] = [];
  #wake: (() => void) | null = null;
  #closeWaiters = new Set<() => void>();
  #closed = false;
  /** QUIT or a refusal ended the session: queued pipelined commands are not run. */
  #ended = false;
  #strikes = 0;
  #tlsActive: boolean;
  state: SessionState = { name: 'authorization' };

  constructor(socket: Socket, config: SessionConfig, tlsActive: boolean) {
    this.#config = config;
    this.#socket = socket;
    this.#tlsActive = tlsActive;
    this.remoteAddress = socket.remoteAddress;
    this.log = config.logger.child({ remote: socket.remoteAddress, port: socket.remotePort });
    this.#attach(socket);
  }

  // ---- CommandContext -------------------------------------------------------------------

  get directory(): Directory {
    return this.#config.directory;
  }
  get store(): MailboxStore {
    return this.#config.store;
  }
  get throttle(): AuthThrottle {
    return this.#config.throttle;
  }
  get implementation(): string {
    return this.#config.implementation;
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

  ok(text?: string): Promise<void> {
    return this.#write(text ? `+OK ${text}\r\n` : '+OK\r\n');
  }

  err(text: string): Promise<void> {
    return this.#write(`-ERR ${text}\r\n`);
  }

  multiline(first: string, lines: string[]): Promise<void> {
    const body = lines.map((l) => (l.startsWith('.') ? `.${l}` : l));
    return this.#write(`+OK ${first}\r\n${body.map((l) => `${l}\r\n`).join('')}.\r\n`);
  }

  async sendMessage(message: DropMessage, bodyLines?: number): Promise<void> {
    if (this.state.name !== 'transaction') return;
    const source = this.state.maildrop.folder.read(message.uid);
    source.on('error', () => {}); // surfaced through the iterator below
    const chunks = source[Symbol.asyncIterator]();
    let next: IteratorResult<Buffer>;
    try {
      // Read before answering: a message gone since login still gets a clean -ERR.
      next = await chunks.next();
    } catch (err) {
      source.destroy();
      this.log.warn({ event: 'read-failed', uid: message.uid, err: String(err) });
      return this.err('[SYS/TEMP] message cannot be read now');
    }
    const stuffer = new DotStuffer(bodyLines);
    await this.ok(bodyLines === undefined ? `${message.size} octets` : 'top of message follows');
    try {
      while (!next.done && !this.#closed) {
        const out = stuffer.feed(next.value);
        if (out.length) await this.#write(out);
        if (stuffer.done) break;
        next = await chunks.next();
      }
    } catch (err) {
      // Half a message is on the wire: the only honest end is to drop the connection.
      this.log.error({ event: 'read-failed-mid-stream', uid: message.uid, err: String(err) });
      this.#socket.destroy();
      return;
    } finally {
      source.destroy();
    }
    await this.#write(stuffer.finish());
  }

  async continuation(text: string): Promise<SplitItem | null> {
    await this.#write(`+ ${text}\r\n`);
    return this.#next();
  }

  login(user: string, password: string): Promise<void> {
    return login(this, user, password);
  }

  setState(state: SessionState): void {
    this.state = state;
  }

  async startTls(): Promise<void> {
    const context = this.#config.secureContext;
    if (!context) return;
    await this.ok('begin TLS negotiation');
    // RFC 2595 §4: nothing the client pipelined in cleartext may be acted on after the switch.
    this.#queue = [];
    this.#splitter.reset();
    const plain = this.#socket;
    this.#detach(plain);
    plain.setTimeout(0);
    const secure = new TLSSocket(plain, { isServer: true, secureContext: context });
    this.#attach(secure);
    await new Promise<void>((resolve) => {
      secure.once('secure', resolve);
      secure.once('close', resolve);
    });
    if (this.#closed) return;
    this.#tlsActive = true;
    this.setState({ name: 'authorization' });
    this.log.debug({ event: 'stls', protocol: secure.getProtocol() });
  }

  async quit(): Promise<void> {
    const state = this.state;
    if (state.name === 'transaction') {
      this.state = { name: 'update', user: state.user };
      try {
        const removed = await state.maildrop.commit();
        this.log.info({ event: 'update', user: state.user, expunged: removed });
        await this.ok(`bye (${removed} messages deleted)`);
      } catch (err) {
        this.log.error({ event: 'update-failed', user: state.user, err: String(err) });
        await this.err('[SYS/TEMP] some deleted messages not removed');
      } finally {
        await this.#leaveTransaction(state);
      }
    } else {
      await this.ok('bye');
    }
    this.end();
  }

  // ---- LoginHost extras -----------------------------------------------------------------

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
      await this.ok(`${this.#config.hostname} POP3 ready`);
      for (;;) {
        const item = await this.#next();
        if (!item) break;
        await this.#serve(item);
      }
    } catch (err) {
      this.log.error({ event: 'session-error', err: String(err) });
      this.#socket.destroy();
    } finally {
      await this.#cleanup();
    }
  }

  /** Stops the session from outside (server close): no UPDATE, nothing deleted. */
  destroy(): void {
    this.#socket.destroy();
  }

  async #serve(item: SplitItem): Promise<void> {
    if (item.kind === 'overflow') {
      // Kilobytes without a newline are a flood, not a client that miscounted: hang up.
      this.log.info({ event: 'line-flood' });
      await this.err('line too long; closing');
      this.end();
      return;
    }
    if (item.octets > MAX_COMMAND_OCTETS) return this.#strike('line too long');
    const parsed = parseCommand(item.text, this.state.name);
    if (parsed.kind === 'bad') return this.#strike(parsed.text);
    this.log.debug({ event: 'command', verb: parsed.command.verb });
    try {
      await parsed.command.handle(this, parsed.args);
      this.#strikes = 0;
    } catch (err) {
      this.log.error({ event: 'command-failed', verb: parsed.command.verb, err: String(err) });
      await this.err('[SYS/TEMP] internal error');
    }
  }

  async #strike(text: string): Promise<void> {
    this.#strikes++;
    if (this.#strikes >= MAX_STRIKES) {
      this.log.info({ event: 'too-many-errors' });
      await this.err(`${text}; too many bad commands, closing`);
      this.end();
      return;
    }
    await this.err(text);
  }

  async #next(): Promise<SplitItem | null> {
    for (;;) {
      if (this.#ended) return null;
      const item = this.#queue.shift();
      if (item) {
        if (this.#queue.length < QUEUE_HIGH / 2 && this.#socket.isPaused()) this.#socket.resume();
        return item;
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

  async #write(data: string | Buffer): Promise<void> {
    const socket = this.#socket;
    if (this.#closed || socket.destroyed) return;
    if (socket.write(data)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    this.#queue.push(...this.#splitter.push(chunk));
    if (this.#queue.length >= QUEUE_HIGH) this.#socket.pause();
    this.#wakeUp();
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
    // RFC 1939 §3 autologout: no UPDATE, nothing deleted.
    this.log.info({ event: 'idle-timeout' });
    const socket = this.#socket;
    socket.write('-ERR autologout; idle for too long\r\n', () => socket.destroy());
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

  async #leaveTransaction(state: Extract<SessionState, { name: 'transaction' }>): Promise<void> {
    try {
      await state.maildrop.folder.close();
    } catch (err) {
      this.log.warn({ event: 'folder-close-failed', err: String(err) });
    } finally {
      state.release();
    }
  }

  async #cleanup(): Promise<void> {
    const state = this.state;
    // A dropped connection never reaches UPDATE: the marks are forgotten, nothing is deleted.
    if (state.name === 'transaction') {
      this.state = { name: 'authorization' };
      await this.#leaveTransaction(state);
    }
    if (!this.#socket.destroyed) this.#socket.end();
  }
}

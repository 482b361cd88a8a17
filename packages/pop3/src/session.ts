import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { SecureContext } from 'node:tls';
import type { Directory, Logger, MailboxStore, MetricsSink } from '@mailstack/core';
import type { AuthThrottle } from '@mailstack/directory';
import { type ConnectionLimits, type GoodbyeReason, LineConnection } from '@mailstack/line-server';
import type { CommandContext } from './commands/types.ts';
import { MAX_COMMAND_OCTETS, parseCommand } from './dispatch.ts';
import { DotStuffer } from './dot-stuffer.ts';
import { LineSplitter, type SplitItem } from './line-splitter.ts';
import { login } from './login.ts';
import type { DropMessage } from './maildrop.ts';
import { ReadAhead, retrNumber } from './read-ahead.ts';
import type { SessionState } from './state.ts';
import { storeErrText } from './store-errors.ts';

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
  implementation: string;
  limits: Required<ConnectionLimits>;
  logger: Logger;
}

/** What the client reads when we close the connection (RFC 2449 response codes). */
const GOODBYES: Record<GoodbyeReason, string> = {
  idle: '-ERR autologout; idle for too long\r\n',
  login: '-ERR login took too long\r\n',
  command: '-ERR command line took too long\r\n',
  literal: '-ERR command line took too long\r\n',
  shutdown: '-ERR [SYS/TEMP] server shutting down\r\n',
};

/** Longest line kept at all: SASL responses may exceed the 255-octet command limit. */
const MAX_LINE_BYTES = 4096;
/** Bad commands in a row before we hang up on the client. */
const MAX_STRIKES = 10;
/** Replies to pipelined commands are gathered up to this many bytes, then written at once. */
const BATCH_BYTES = 64 * 1024;
/**
 * Queued commands looked at for RETRs to read ahead: enough to keep libuv's four threads busy
 * with small messages, few enough that scanning the queue before each command stays cheap.
 */
const LOOKAHEAD_COMMANDS = 12;

/**
 * One POP3 connection: owns the socket (plain, then TLS after STLS), splits lines, runs
 * commands one at a time in arrival order (PIPELINING), and writes with backpressure.
 */
export class Pop3Session implements CommandContext {
  readonly #config: SessionConfig;
  readonly log: Logger;
  readonly remoteAddress: string | undefined;
  readonly #conn: LineConnection<SplitItem>;
  #splitter = new LineSplitter(MAX_LINE_BYTES);
  #strikes = 0;
  /** A command is being served: shutdown waits for it. */
  #busy = false;
  #shuttingDown = false;
  /**
   * Replies held while more pipelined commands wait (TRANSACTION only): one write, one TLS
   * record and one syscall for many small replies instead of three per message. Flushed when
   * the queue runs dry, at BATCH_BYTES, and before the session ends.
   */
  #out: Buffer[] = [];
  #outBytes = 0;
  #batching = false;
  /** Messages of queued RETRs being read while earlier replies are written. */
  #ahead: ReadAhead | null = null;
  state: SessionState = { name: 'authorization' };

  constructor(socket: Socket, config: SessionConfig, tlsActive: boolean) {
    this.#config = config;
    this.remoteAddress = socket.remoteAddress;
    // Replies leave whole (batched), so Nagle has nothing to merge; it would only hold the
    // last piece of a burst until the client's (delayed) ACK of the one before.
    socket.setNoDelay(true);
    this.log = config.logger.child({ remote: socket.remoteAddress, port: socket.remotePort });
    // RFC 1939 §3 autologout: no UPDATE, nothing deleted.
    const limits = config.limits;
    this.#conn = new LineConnection(socket, {
      decode: (chunk) => this.#splitter.push(chunk),
      heldBytes: () => this.#splitter.heldBytes,
      // A line over the limit ends the session once it is served: nothing after it is worth reading.
      saturated: () => this.#splitter.discarding,
      maxHeldBytes: limits.maxHeldBytes,
      pendingUnit: () => {
        const id = this.#splitter.pendingLine;
        return id === null ? null : { id, reason: 'command', timeoutMs: limits.commandTimeoutMs };
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
  get metrics(): MetricsSink {
    return this.#config.metrics;
  }
  get implementation(): string {
    return this.#config.implementation;
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
    const ahead = bodyLines === undefined ? this.#ahead?.take(message.number) : null;
    if (ahead) return this.#sendRead(message, ahead);
    const source = this.state.maildrop.folder.read(message.uid);
    source.on('error', () => {}); // surfaced through the iterator below
    const chunks = source[Symbol.asyncIterator]();
    let next: IteratorResult<Buffer>;
    try {
      // Read before answering: a message gone since login still gets a clean -ERR.
      next = await chunks.next();
    } catch (err) {
      source.destroy();
      return this.#readFailed(message, err);
    }
    const stuffer = new DotStuffer(bodyLines);
    // Each piece is written with the next one, so a message in one chunk (most mail) leaves
    // as one write: status line, body and terminator together.
    let held: Array<string | Buffer> = [
      `+OK ${bodyLines === undefined ? `${message.size} octets` : 'top of message follows'}\r\n`,
    ];
    try {
      while (!next.done && !this.#conn.closed) {
        const out = stuffer.feed(next.value);
        if (stuffer.done) {
          held.push(out);
          break;
        }
        next = await chunks.next();
        if (!next.done) {
          await this.#write(...held);
          held = [];
        }
        held.push(out);
      }
    } catch (err) {
      // Half a message is on the wire: the only honest end is to drop the connection.
      this.log.error({ event: 'read-failed-mid-stream', uid: message.uid, err: String(err) });
      this.#conn.destroy();
      return;
    } finally {
      source.destroy();
    }
    await this.#write(...held, stuffer.finish());
  }

  /** RETR of a message read ahead: whole in memory, so the reply is one piece. */
  async #sendRead(message: DropMessage, read: Promise<Buffer>): Promise<void> {
    let wire: Buffer;
    try {
      wire = await read;
    } catch (err) {
      return this.#readFailed(message, err);
    }
    const stuffer = new DotStuffer();
    const body = stuffer.feed(wire);
    await this.#write(Buffer.from(`+OK ${message.size} octets\r\n`), body, stuffer.finish());
  }

  #readFailed(message: DropMessage, err: unknown): Promise<void> {
    this.log.warn({ event: 'read-failed', uid: message.uid, err: String(err) });
    return this.err(storeErrText(err, 'message cannot be read now'));
  }

  /**
   * Every reply goes out here: held while batching, else written at once (after what is
   * held). Several parts make one write either way.
   */
  async #write(...parts: Array<string | Buffer>): Promise<void> {
    for (const part of parts) {
      const buf = typeof part === 'string' ? Buffer.from(part) : part;
      this.#out.push(buf);
      this.#outBytes += buf.length;
    }
    if (!this.#batching || this.#outBytes >= BATCH_BYTES) await this.#flush();
  }

  /** Writes what is held and waits for the socket to take it (backpressure). */
  #flush(): Promise<void> {
    if (this.#out.length === 0) return Promise.resolve();
    const data = this.#out.length === 1 ? (this.#out[0] as Buffer) : Buffer.concat(this.#out, this.#outBytes);
    this.#out = [];
    this.#outBytes = 0;
    return this.#conn.write(data);
  }

  /** Hands what is held to the socket now, without waiting (before a write or the end). */
  #flushNow(): void {
    void this.#flush();
  }

  /** Starts reading the messages of the RETRs queued behind `current` (TRANSACTION only). */
  #readAhead(current: SplitItem): void {
    const state = this.state;
    if (state.name !== 'transaction') return;
    const queued = this.#conn.queued;
    if (queued.length === 0 && this.#ahead === null) return;
    const upcoming: DropMessage[] = [];
    for (let i = -1; i < queued.length && i < LOOKAHEAD_COMMANDS; i++) {
      const item = i < 0 ? current : (queued[i] as SplitItem);
      const n = item.kind === 'line' ? retrNumber(item.text) : null;
      const m = n === null ? null : state.maildrop.get(n);
      if (m) upcoming.push(m);
    }
    const folder = state.maildrop.folder;
    this.#ahead ??= new ReadAhead((m) => readWhole(folder.read(m.uid)));
    this.#ahead.plan(upcoming);
  }

  async continuation(text: string): Promise<SplitItem | null> {
    await this.#write(`+ ${text}\r\n`);
    return this.#conn.next();
  }

  login(user: string, password: string): Promise<void> {
    return login(this, user, password);
  }

  setState(state: SessionState): void {
    this.state = state;
    this.#ahead?.clear();
    this.#ahead = null;
    if (state.name !== 'authorization') this.#conn.clearDeadline('login');
  }

  async startTls(): Promise<void> {
    if (!this.#conn.tlsOffered) return;
    await this.ok('begin TLS negotiation');
    // RFC 2595 §4: nothing the client pipelined in cleartext may be acted on after the switch.
    this.#splitter.reset();
    const secure = await this.#conn.startTls();
    if (!secure) return;
    this.setState({ name: 'authorization' });
    this.log.debug({ event: 'starttls', protocol: secure.getProtocol() });
  }

  async quit(): Promise<void> {
    const state = this.state;
    if (state.name === 'transaction') {
      this.setState({ name: 'update', user: state.user });
      let reply: () => Promise<void>;
      try {
        const removed = await state.maildrop.commit();
        this.log.info({ event: 'update', user: state.user, expunged: removed });
        reply = () => this.ok(`bye (${removed} messages deleted)`);
      } catch (err) {
        this.log.error({ event: 'update-failed', user: state.user, err: String(err) });
        reply = () => this.err(storeErrText(err, 'some deleted messages not removed'));
      }
      // The lock goes before the reply: a client that logs in again the moment it reads +OK
      // (in this process or another) must find the maildrop free.
      await this.#leaveTransaction(state);
      await reply();
    } else {
      await this.ok('bye');
    }
    this.end();
  }

  // ---- LoginHost extras -----------------------------------------------------------------

  sleep(ms: number): Promise<void> {
    return this.#conn.sleep(ms);
  }

  end(): void {
    this.#flushNow();
    this.#conn.end();
  }

  // ---- running --------------------------------------------------------------------------

  /** Greets and serves commands until the connection ends. Never rejects. */
  async run(): Promise<void> {
    try {
      await this.ok(`${this.#config.hostname} POP3 ready`);
      for (;;) {
        const item = await this.#conn.next();
        if (!item) break;
        this.#busy = true;
        // Replies are held only while more commands wait; the last one of a burst flushes.
        this.#batching = this.state.name === 'transaction' && this.#conn.queued.length > 0;
        this.#readAhead(item);
        await this.#serve(item);
        if (this.#conn.queued.length === 0 || !this.#batching) await this.#flush();
        this.#batching = false;
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

  /** Stops the session from outside (server close): no UPDATE, nothing deleted. */
  destroy(): void {
    this.#conn.destroy();
  }

  /** Server shutdown: `-ERR` now when waiting for the client, else after the command (no UPDATE). */
  shutdown(): void {
    this.#shuttingDown = true;
    if (!this.#busy) void this.#goodbye();
  }

  async #goodbye(): Promise<void> {
    if (this.#conn.closed) return;
    this.#flushNow();
    const write = this.#conn.write(GOODBYES.shutdown);
    this.#conn.end();
    await write;
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
      await this.err(storeErrText(err, 'internal error'));
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

  async #leaveTransaction(state: Extract<SessionState, { name: 'transaction' }>): Promise<void> {
    try {
      await state.maildrop.folder.close();
    } catch (err) {
      this.log.warn({ event: 'folder-close-failed', err: String(err) });
    } finally {
      await state
        .release()
        .catch((err: unknown) => this.log.warn({ event: 'maildrop-unlock-failed', err: String(err) }));
    }
  }

  async #cleanup(): Promise<void> {
    const state = this.state;
    // A dropped connection never reaches UPDATE: the marks are forgotten, nothing is deleted.
    if (state.name === 'transaction') {
      this.setState({ name: 'authorization' });
      await this.#leaveTransaction(state);
    }
    if (!this.#conn.socket.destroyed) this.#conn.socket.end();
  }
}

/** A small message whole; the store gives one chunk for most, kept without a copy. */
async function readWhole(source: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

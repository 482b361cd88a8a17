import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { isLoopback, type Logger } from '@mailstack/core';

/**
 * Why the connection is being closed from our side: idle too long, a deadline ran out (not
 * logged in in time, a command line or a literal that took too long), or the server stops.
 */
export type GoodbyeReason = 'idle' | 'login' | 'command' | 'literal' | 'shutdown';

/** The unit of input arriving right now and the total time it may take to arrive. */
export interface PendingUnit {
  /** Changes with every new unit: a new id restarts the clock. */
  id: number;
  reason: 'command' | 'literal';
  timeoutMs: number;
}

export interface LineConnectionOptions<T> {
  /** Turns received bytes into queued items (lines, parser events). */
  decode(chunk: Buffer): T[];
  /**
   * Bytes `decode` holds that are not items yet (a partial line, input held while a command
   * runs). They count towards `maxHeldBytes`.
   */
  heldBytes?(): number;
  /**
   * Input held for this connection (in the decoder plus queued items) while the session is
   * busy, before the socket stops being read. The session waiting for input always reads:
   * the decoder's own line and literal limits bound what one unit holds. Default 1 MiB.
   */
  maxHeldBytes?: number;
  /**
   * True while the decoder wants nothing more until the session served what is queued (it
   * drops the rest of an over-long line that ends the session): reading stops as if the
   * bound were reached.
   */
  saturated?(): boolean;
  /**
   * The unit of input (a command line, a literal) in the middle of arriving, or null between
   * units: its total time is bounded, not only the time between two bytes (slow drip).
   */
  pendingUnit?(): PendingUnit | null;
  /** Idle time before autologout (RFC 1939 §3, RFC 3501 5.4). */
  idleTimeoutMs: number;
  /** The line written when we close the connection, e.g. `* BYE autologout\r\n`. */
  goodbye: string | ((reason: GoodbyeReason) => string);
  logger: Logger;
  /** Items queued before the socket stops being read: backpressure on pipelining clients. */
  queueHigh?: number;
  /** The socket is already TLS (implicit TLS on 993/995). */
  tlsActive?: boolean;
  /** Offers STARTTLS/STLS with this context while the connection is cleartext. */
  starttls?: SecureContext;
  /** Development only: credentials in cleartext from loopback clients. */
  allowCleartextAuthOnLoopback?: boolean;
}

const DEFAULT_MAX_HELD_BYTES = 1024 * 1024;
/** How long an ended connection waits for the client to close its side. */
const HALF_CLOSE_MS = 5000;

/**
 * The socket side of one line-protocol session (IMAP, POP3): decoded items queue up in
 * arrival order for a session that serves one command at a time (pipelining), reading pauses
 * while the session is busy and the input held for it is over its bound, writes wait for
 * drain, an idle connection is logged out, deadlines end a connection that is too slow, and
 * STARTTLS/STLS swaps the socket for a TLS one. The session keeps only protocol state.
 */
export class LineConnection<T> {
  readonly #options: LineConnectionOptions<T>;
  readonly #queueHigh: number;
  readonly #maxHeld: number;
  #socket: Socket;
  #queue: T[] = [];
  /** Input bytes each queued item was made of, in step with #queue. */
  #sizes: number[] = [];
  #queuedBytes = 0;
  /** The decoder's held bytes when last looked at: what a decode or mode switch consumed. */
  #lastHeld = 0;
  #wake: (() => void) | null = null;
  #closeWaiters = new Set<() => void>();
  #closed = false;
  /** The session ended (QUIT/LOGOUT, a refusal): queued pipelined commands are not served. */
  #ended = false;
  #tlsActive: boolean;
  #deadlines = new Map<GoodbyeReason, NodeJS.Timeout>();
  #unit: number | null = null;

  constructor(socket: Socket, options: LineConnectionOptions<T>) {
    this.#options = options;
    this.#queueHigh = options.queueHigh ?? 64;
    this.#maxHeld = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
    this.#socket = socket;
    this.#tlsActive = options.tlsActive === true;
    this.#attach(socket);
  }

  get tlsActive(): boolean {
    return this.#tlsActive;
  }
  /** STARTTLS/STLS is to be offered: configured and not yet active. */
  get tlsOffered(): boolean {
    return !!this.#options.starttls && !this.#tlsActive;
  }
  /** Credentials may be sent: over TLS, or from loopback with the development switch on. */
  get authAllowed(): boolean {
    return (
      this.#tlsActive ||
      (this.#options.allowCleartextAuthOnLoopback === true && isLoopback(this.#socket.remoteAddress))
    );
  }

  get socket(): Socket {
    return this.#socket;
  }
  get closed(): boolean {
    return this.#closed;
  }
  /** Input held for the session right now: in the decoder and in queued items. */
  get heldBytes(): number {
    return this.#queuedBytes + (this.#options.heldBytes?.() ?? 0);
  }

  /**
   * Items decoded and waiting to be served, oldest first: what a pipelining client sent
   * behind the command being served (POP3 reads the messages of queued RETRs ahead).
   */
  get queued(): readonly T[] {
    return this.#queue;
  }

  /** The next item, or null once the connection is closed or the session ended. */
  async next(): Promise<T | null> {
    for (;;) {
      if (this.#ended) return null;
      const item = this.#queue.shift();
      if (item !== undefined) {
        this.#queuedBytes -= this.#sizes.shift() ?? 0;
        this.#flow();
        return item;
      }
      if (this.#closed) return null;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#flow();
      });
    }
  }

  /** Queues items that did not come from `decode` (a parser switching modes). */
  push(items: T[]): void {
    this.#enqueue(items, this.#consumed(0));
  }

  /** Writes and waits for the socket to drain; a closed connection swallows the write. */
  async write(data: string | Buffer): Promise<void> {
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

  /** Waits `ms`, or less when the connection closes meanwhile (throttled login replies). */
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

  /**
   * Closes the connection with the goodbye for `reason` unless `clearDeadline(reason)` comes
   * first (e.g. 'login': the session must authenticate in time). Replaces an earlier one.
   */
  setDeadline(reason: GoodbyeReason, ms: number): void {
    this.clearDeadline(reason);
    if (this.#closed) return;
    const timer = setTimeout(() => this.#expire(reason), ms);
    timer.unref();
    this.#deadlines.set(reason, timer);
  }

  clearDeadline(reason: GoodbyeReason): void {
    clearTimeout(this.#deadlines.get(reason));
    this.#deadlines.delete(reason);
  }

  /** Ends the session after what is written; pipelined commands still queued are dropped. */
  end(): void {
    this.#ended = true;
    this.#closed = true;
    this.#clearDeadlines();
    const socket = this.#socket;
    socket.end();
    // Read (and drop) what still comes, or the client's FIN is never seen when reading was
    // paused; a client that keeps sending instead of closing is cut off.
    socket.resume();
    setTimeout(() => socket.destroy(), HALF_CLOSE_MS).unref();
    this.#wakeUp();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  /**
   * Switches to TLS with the `starttls` context (RFC 2595, RFC 3501 6.2.1). Whatever the
   * client pipelined in cleartext is dropped: nothing sent before the handshake may be acted on
   * after it. Resolves with the TLS socket, or null when TLS is not offered or the connection
   * closed during the handshake.
   */
  async startTls(): Promise<TLSSocket | null> {
    const context = this.#options.starttls;
    if (!context || this.#tlsActive) return null;
    this.#queue = [];
    this.#sizes = [];
    this.#queuedBytes = 0;
    this.#lastHeld = this.#options.heldBytes?.() ?? 0;
    const plain = this.#socket;
    this.#detach(plain);
    plain.setTimeout(0);
    const secure = new TLSSocket(plain, { isServer: true, secureContext: context });
    this.#attach(secure);
    await new Promise<void>((resolve) => {
      secure.once('secure', resolve);
      secure.once('close', resolve);
    });
    if (this.#closed) return null;
    this.#tlsActive = true;
    return secure;
  }

  /** Bytes the decoder turned into items since it was last looked at, plus `fed` new ones. */
  #consumed(fed: number): number {
    const held = this.#options.heldBytes?.() ?? 0;
    const consumed = fed + this.#lastHeld - held;
    this.#lastHeld = held;
    return Math.max(0, consumed);
  }

  #enqueue(items: T[], bytes: number): void {
    if (items.length > 0) {
      // The bytes of one decode are spread over its items; the last carries the remainder.
      const share = Math.floor(bytes / items.length);
      items.forEach((item, i) => {
        const size = i === items.length - 1 ? bytes - share * (items.length - 1) : share;
        this.#queue.push(item);
        this.#sizes.push(size);
        this.#queuedBytes += size;
      });
      this.#wakeUp();
    }
    this.#flow();
  }

  /**
   * Reads while the session waits for input or what is held for it is under the bounds;
   * pauses the socket (TCP backpressure on the client) otherwise.
   */
  #flow(): void {
    const socket = this.#socket;
    if (this.#closed || socket.destroyed) return;
    const waiting = this.#wake !== null && this.#queue.length === 0;
    const held = this.heldBytes;
    const full =
      this.#queue.length >= this.#queueHigh || held > this.#maxHeld || this.#options.saturated?.() === true;
    if (!waiting && full) {
      if (!socket.isPaused()) socket.pause();
      return;
    }
    const low = this.#queue.length < this.#queueHigh / 2 && held <= this.#maxHeld / 2;
    if (socket.isPaused() && (waiting || low)) socket.resume();
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    const items = this.#options.decode(chunk);
    this.#enqueue(items, this.#consumed(chunk.length));
    this.#watchUnit();
  };

  /** Starts the deadline of a unit of input that began arriving; clears it once it is in. */
  #watchUnit(): void {
    const unit = this.#options.pendingUnit?.() ?? null;
    if (unit?.id === this.#unit) return;
    for (const reason of ['command', 'literal'] as const) this.clearDeadline(reason);
    this.#unit = unit?.id ?? null;
    if (unit) this.setDeadline(unit.reason, unit.timeoutMs);
  }

  #goodbye(reason: GoodbyeReason): string {
    const g = this.#options.goodbye;
    return typeof g === 'string' ? g : g(reason);
  }

  #expire(reason: GoodbyeReason): void {
    this.#deadlines.delete(reason);
    if (this.#closed) return;
    this.#options.logger.info(
      reason === 'idle' ? { event: 'idle-timeout' } : { event: 'deadline', what: reason },
    );
    const socket = this.#socket;
    socket.write(this.#goodbye(reason), () => socket.destroy());
    setTimeout(() => socket.destroy(), 1000).unref();
    this.#ended = true;
    this.#closed = true;
    this.#clearDeadlines();
    this.#wakeUp();
  }

  #clearDeadlines(): void {
    for (const timer of this.#deadlines.values()) clearTimeout(timer);
    this.#deadlines.clear();
  }

  #onClose = (): void => {
    this.#closed = true;
    this.#clearDeadlines();
    for (const w of [...this.#closeWaiters]) w();
    this.#wakeUp();
  };

  #onError = (err: Error): void => {
    this.#options.logger.debug({ event: 'socket-error', err: err.message });
  };

  #onTimeout = (): void => this.#expire('idle');

  #attach(socket: Socket): void {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.on('close', this.#onClose);
    socket.on('error', this.#onError);
    socket.on('timeout', this.#onTimeout);
    socket.setTimeout(this.#options.idleTimeoutMs);
  }

  #detach(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('close', this.#onClose);
    socket.off('error', this.#onError);
    socket.off('timeout', this.#onTimeout);
  }
}

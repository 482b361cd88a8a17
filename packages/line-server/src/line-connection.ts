import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { isLoopback, type Logger } from '@mailstack/core';

export interface LineConnectionOptions<T> {
  /** Turns received bytes into queued items (lines, parser events). */
  decode(chunk: Buffer): T[];
  /** Idle time before autologout (RFC 1939 §3, RFC 3501 5.4). */
  idleTimeoutMs: number;
  /** The line written on autologout, e.g. `* BYE autologout\r\n`. */
  goodbye: string;
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

/**
 * The socket side of one line-protocol session (IMAP, POP3): decoded items queue up in
 * arrival order for a session that serves one command at a time (pipelining), reading pauses
 * while the queue is full, writes wait for drain, an idle connection is logged out, and
 * STARTTLS/STLS swaps the socket for a TLS one. The session keeps only protocol state.
 */
export class LineConnection<T> {
  readonly #options: LineConnectionOptions<T>;
  readonly #queueHigh: number;
  #socket: Socket;
  #queue: T[] = [];
  #wake: (() => void) | null = null;
  #closeWaiters = new Set<() => void>();
  #closed = false;
  /** The session ended (QUIT/LOGOUT, a refusal): queued pipelined commands are not served. */
  #ended = false;
  #tlsActive: boolean;

  constructor(socket: Socket, options: LineConnectionOptions<T>) {
    this.#options = options;
    this.#queueHigh = options.queueHigh ?? 64;
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

  /** The next item, or null once the connection is closed or the session ended. */
  async next(): Promise<T | null> {
    for (;;) {
      if (this.#ended) return null;
      const item = this.#queue.shift();
      if (item !== undefined) {
        if (this.#queue.length < this.#queueHigh / 2 && this.#socket.isPaused()) this.#socket.resume();
        return item;
      }
      if (this.#closed) return null;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Queues items that did not come from `decode` (a parser switching modes). */
  push(items: T[]): void {
    if (items.length === 0) return;
    this.#queue.push(...items);
    if (this.#queue.length >= this.#queueHigh) this.#socket.pause();
    this.#wakeUp();
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

  /** Ends the session after what is written; pipelined commands still queued are dropped. */
  end(): void {
    this.#ended = true;
    this.#closed = true;
    this.#socket.end();
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

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    this.push(this.#options.decode(chunk));
  };

  #onClose = (): void => {
    this.#closed = true;
    for (const w of [...this.#closeWaiters]) w();
    this.#wakeUp();
  };

  #onError = (err: Error): void => {
    this.#options.logger.debug({ event: 'socket-error', err: err.message });
  };

  #onTimeout = (): void => {
    this.#options.logger.info({ event: 'idle-timeout' });
    const socket = this.#socket;
    socket.write(this.#options.goodbye, () => socket.destroy());
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
    socket.setTimeout(this.#options.idleTimeoutMs);
  }

  #detach(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('close', this.#onClose);
    socket.off('error', this.#onError);
    socket.off('timeout', this.#onTimeout);
  }
}

import type { Readable } from 'node:stream';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';

/** What the deadlines look at and end: the library connection (see connection.ts). */
export interface DeadlineHost {
  readonly _parser: SMTPStream | false;
  readonly _closing: boolean;
  readonly _handlerPending: boolean;
  expire(what: 'command' | 'data'): void;
}

export interface DeadlineLimits {
  commandTimeoutMs: number;
  dataTimeoutMs: number;
  minDataRate: number;
}

/**
 * Total deadlines for one command line and one DATA. smtp-server's idle timer is reset by
 * every byte, so a client trickling one byte every few seconds holds a connection for ever;
 * these are measured from the first byte of the line or of the message and nothing but
 * progress extends them (DATA gets one more second per `minDataRate` bytes, as Postfix's
 * smtpd_min_data_rate).
 */
export class InputDeadlines {
  readonly #host: DeadlineHost;
  readonly #limits: DeadlineLimits;
  #commands = 0;
  #line: NodeJS.Timeout | undefined;
  #data: { timer: NodeJS.Timeout; stream: object; start: number } | undefined;

  constructor(host: DeadlineHost, limits: DeadlineLimits) {
    this.#host = host;
    this.#limits = limits;
  }

  /** Watches what arrives on `source` (the socket, then the TLS socket after STARTTLS). */
  watch(source: Readable): void {
    source.on('data', this.#onData);
    source.once('close', () => this.stop());
  }

  /** A command line was complete. */
  lineDone(): void {
    this.#commands++;
  }

  stop(): void {
    clearTimeout(this.#line);
    clearTimeout(this.#data?.timer);
    this.#line = undefined;
    this.#data = undefined;
  }

  #onData = (): void => {
    const parser = this.#host._parser;
    if (!parser || this.#host._closing) return;
    if (parser._dataMode) this.#startData(parser);
    else if (!this.#line) this.#startLine();
  };

  #startLine(): void {
    const commandsAtStart = this.#commands;
    this.#line = setTimeout(() => {
      this.#line = undefined;
      const parser = this.#host._parser;
      // between lines, in DATA, or waiting for a handler: not a line in progress
      if (!parser || parser._dataMode || this.#host._handlerPending || parser._remainder.length === 0) return;
      // a newer line than the one that started the clock: it gets its full time
      if (this.#commands !== commandsAtStart) return this.#startLine();
      this.#host.expire('command');
    }, this.#limits.commandTimeoutMs);
    this.#line.unref();
  }

  #startData(parser: SMTPStream): void {
    const stream = parser._dataStream;
    if (!stream || this.#data?.stream === stream) return;
    clearTimeout(this.#data?.timer);
    const start = performance.now();
    const check = (): void => {
      const current = this.#host._parser || undefined;
      if (!current?._dataMode || current._dataStream !== stream) {
        this.#data = undefined;
        return;
      }
      const allowed = this.#limits.dataTimeoutMs + (current.dataBytes * 1000) / this.#limits.minDataRate;
      const left = allowed - (performance.now() - start);
      if (left <= 0) {
        this.#data = undefined;
        this.#host.expire('data');
        return;
      }
      schedule(left);
    };
    const schedule = (ms: number): void => {
      const timer = setTimeout(check, Math.ceil(ms));
      timer.unref();
      this.#data = { timer, stream, start };
    };
    schedule(this.#limits.dataTimeoutMs);
  }
}

import net from 'node:net';

/** One SMTP/LMTP reply as read off the wire: code plus every line's text. */
export interface WireReply {
  code: number;
  lines: string[];
  /** The last line as sent, e.g. `250 2.1.5 Accepted`. */
  raw: string;
}

/**
 * A raw socket client for protocol tests: writes bytes as given (so tests can pipeline or
 * send garbage) and reads replies one at a time. Waits on events, never on timers.
 */
export class RawClient {
  readonly socket: net.Socket;
  #buffer = '';
  #waiters: Array<() => void> = [];
  #closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', () => {});
  }

  static connect(target: { port: number; host?: string } | { path: string }): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket =
        'path' in target ? net.connect(target.path) : net.connect(target.port, target.host ?? '127.0.0.1');
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Next complete reply; rejects if the server closes first. */
  async reply(): Promise<WireReply> {
    for (;;) {
      const parsed = this.#take();
      if (parsed) return parsed;
      if (this.#closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async replies(count: number): Promise<WireReply[]> {
    const out: WireReply[] = [];
    for (let i = 0; i < count; i++) out.push(await this.reply());
    return out;
  }

  /** Writes a command and reads its reply. */
  async command(line: string): Promise<WireReply> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** Resolves once the server closed the connection. */
  async waitClosed(): Promise<void> {
    while (!this.#closed) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }

  #take(): WireReply | null {
    const lines: string[] = [];
    let pos = 0;
    for (;;) {
      const end = this.#buffer.indexOf('\r\n', pos);
      if (end < 0) return null;
      const line = this.#buffer.slice(pos, end);
      pos = end + 2;
      lines.push(line);
      if (line[3] !== '-') {
        this.#buffer = this.#buffer.slice(pos);
        return { code: Number(line.slice(0, 3)), lines: lines.map((l) => l.slice(4)), raw: line };
      }
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

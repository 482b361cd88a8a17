import net from 'node:net';
import tls from 'node:tls';

/**
 * A raw SMTP client for wire tests that need TLS: implicit TLS from the first byte, or
 * STARTTLS after a cleartext EHLO. Writes bytes as given (pipelining, odd input) and reads
 * whole replies (multi-line ones joined by LF). Waits on socket events only.
 */
export class TlsSmtpClient {
  #socket: net.Socket;
  #buffer = '';
  #waiters: Array<() => void> = [];
  #closed = false;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    this.#attach(socket);
  }

  #attach(socket: net.Socket): void {
    this.#socket = socket;
    // no setEncoding: the cleartext socket is handed to tls.connect after STARTTLS
    socket.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString('latin1');
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', () => {});
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  static async implicit(port: number): Promise<TlsSmtpClient> {
    const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return new TlsSmtpClient(socket);
  }

  /** Connects in cleartext, reads the greeting, EHLO, STARTTLS, handshake. */
  static async starttls(port: number, helo = 'client.example.test'): Promise<TlsSmtpClient> {
    const raw = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      raw.once('connect', resolve);
      raw.once('error', reject);
    });
    const client = new TlsSmtpClient(raw);
    await client.expect(/^220 /);
    await client.command(`EHLO ${helo}`, /^250-/);
    await client.command('STARTTLS', /^220 /);
    raw.removeAllListeners('data');
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    client.#attach(secure);
    return client;
  }

  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  /** The next complete reply. */
  async reply(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.#buffer.split('\r\n');
      const done = lines.findIndex((l) => /^\d{3}(?: |$)/.test(l));
      if (done >= 0 && done < lines.length - 1) {
        this.#buffer = lines.slice(done + 1).join('\r\n');
        return lines.slice(0, done + 1).join('\n');
      }
      if (this.#closed) throw new Error(`connection closed; buffered: ${JSON.stringify(this.#buffer)}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no reply within ${timeoutMs} ms; buffered: ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async expect(pattern: RegExp): Promise<string> {
    const r = await this.reply();
    if (!pattern.test(r)) throw new Error(`expected ${pattern}, got ${JSON.stringify(r)}`);
    return r;
  }

  async command(line: string, pattern: RegExp): Promise<string> {
    this.write(`${line}\r\n`);
    return this.expect(pattern);
  }

  close(): void {
    this.#socket.destroy();
  }
}

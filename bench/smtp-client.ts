import { createConnection, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';

/** One SMTP/LMTP reply: code and its text lines. */
export interface SmtpReply {
  code: number;
  lines: string[];
}

export interface SmtpConnectOptions {
  host: string;
  port: number;
  /** TLS from the first byte (RFC 8314 implicit TLS, port 465). */
  implicitTls?: boolean;
}

/**
 * A small SMTP/LMTP client for benchmarks: one connection reused for many transactions, each
 * transaction's commands pipelined (RFC 2920: MAIL, every RCPT and DATA in one write), so the
 * client's cost per message is two writes and a few reply parses. Speaks STARTTLS and
 * AUTH PLAIN for submission. Certificates are not verified: it only talks to loopback servers
 * the bench started with throwaway self-signed certificates.
 */
export class SmtpSession {
  private socket: Socket | TLSSocket;
  private buffer = '';
  private partial: string[] = [];
  private readonly replies: SmtpReply[] = [];
  private readonly waiters: Array<{ resolve: (r: SmtpReply) => void; reject: (e: Error) => void }> = [];
  private failure: Error | undefined;
  private readonly onData = (chunk: string) => this.receive(chunk);
  private readonly onError = (e: Error) => this.fail(e);
  private readonly onClose = () => this.fail(new Error('connection closed'));
  /** Extension keywords of the last EHLO/LHLO reply, upper-case (e.g. `PIPELINING`, `AUTH PLAIN LOGIN`). */
  extensions: string[] = [];

  private constructor(socket: Socket | TLSSocket) {
    this.socket = socket;
    this.attach(socket);
  }

  /** Connects (optionally with implicit TLS) and reads the 220 greeting. */
  static async connect(options: SmtpConnectOptions): Promise<SmtpSession> {
    const socket = options.implicitTls
      ? tlsConnect({
          host: options.host,
          port: options.port,
          rejectUnauthorized: false,
          servername: 'localhost',
        })
      : createConnection({ host: options.host, port: options.port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.implicitTls ? 'secureConnect' : 'connect', resolve);
      socket.once('error', reject);
    });
    const session = new SmtpSession(socket);
    expectCode(await session.next(), 220, 'greeting');
    return session;
  }

  /** EHLO (or LHLO for LMTP); remembers the extensions offered. */
  async hello(name: string, verb: 'EHLO' | 'LHLO' = 'EHLO'): Promise<SmtpReply> {
    const reply = await this.command(`${verb} ${name}`);
    expectCode(reply, 250, verb);
    this.extensions = reply.lines.slice(1).map((l) => l.toUpperCase());
    return reply;
  }

  offers(keyword: string): boolean {
    const k = keyword.toUpperCase();
    return this.extensions.some((e) => e === k || e.startsWith(`${k} `));
  }

  /** STARTTLS, then the TLS handshake on the same socket; the caller says EHLO again. */
  async startTls(): Promise<void> {
    expectCode(await this.command('STARTTLS'), 220, 'STARTTLS');
    const plain = this.socket;
    this.detach(plain);
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  /** AUTH PLAIN with an initial response (RFC 4954); resolves with the reply, whatever its code. */
  authPlain(user: string, password: string): Promise<SmtpReply> {
    const token = Buffer.from(`\0${user}\0${password}`, 'utf8').toString('base64');
    return this.command(`AUTH PLAIN ${token}`);
  }

  /** One command line, one reply. */
  command(line: string): Promise<SmtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.next();
  }

  /**
   * One pipelined transaction. `body` is the message with CRLF line ends, already
   * dot-stuffed, ending in CRLF. Returns the RCPT reply for each refused recipient and the
   * final reply for the accepted ones: one final reply for SMTP (`perRecipient` false), one
   * per accepted recipient for LMTP (RFC 2033).
   */
  async transaction(
    from: string,
    recipients: string[],
    body: Buffer,
    perRecipient = false,
  ): Promise<SmtpReply[]> {
    let commands = `MAIL FROM:<${from}>\r\n`;
    for (const r of recipients) commands += `RCPT TO:<${r}>\r\n`;
    commands += 'DATA\r\n';
    this.socket.write(commands);
    expectCode(await this.next(), 250, 'MAIL FROM');
    const rcpt: SmtpReply[] = [];
    for (let i = 0; i < recipients.length; i++) rcpt.push(await this.next());
    const data = await this.next();
    const accepted = rcpt.filter((r) => r.code >= 200 && r.code < 300).length;
    // DATA is refused (503/554) when no recipient was accepted; nothing more to read.
    if (accepted === 0) return rcpt;
    expectCode(data, 354, 'DATA');
    this.socket.write(body);
    this.socket.write('.\r\n');
    if (!perRecipient) {
      const final = await this.next();
      return rcpt.map((r) => (r.code >= 200 && r.code < 300 ? final : r));
    }
    const out: SmtpReply[] = [];
    for (const r of rcpt) out.push(r.code >= 200 && r.code < 300 ? await this.next() : r);
    return out;
  }

  async close(): Promise<void> {
    if (this.failure === undefined) {
      this.socket.write('QUIT\r\n');
      await this.next().catch(() => undefined);
    }
    this.socket.destroy();
  }

  next(): Promise<SmtpReply> {
    const ready = this.replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private detach(socket: Socket | TLSSocket): void {
    socket.off('data', this.onData);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end = this.buffer.indexOf('\r\n');
    while (end >= 0) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.onLine(line);
      end = this.buffer.indexOf('\r\n');
    }
  }

  private onLine(line: string): void {
    this.partial.push(line.slice(4));
    if (line[3] === '-') return;
    const reply = { code: Number(line.slice(0, 3)), lines: this.partial };
    this.partial = [];
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter.resolve(reply);
    else this.replies.push(reply);
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const w of this.waiters.splice(0)) w.reject(error);
  }
}

export function expectCode(reply: SmtpReply, code: number, what: string): void {
  if (reply.code !== code)
    throw new Error(`${what}: expected ${code}, got ${reply.code} ${reply.lines.join(' / ')}`);
}

/** A test message of about `size` bytes: headers plus 76-column lines, CRLF, dot-safe. */
export function makeMessage(
  size: number,
  id: string,
  from = 'bench@bench.test',
  to = 'user@bench.test',
): Buffer {
  const head =
    `From: bench <${from}>\r\nTo: user <${to}>\r\nSubject: bench ${id}\r\n` +
    `Message-ID: <${id}@bench.test>\r\nDate: Mon, 23 Nov 2026 08:00:00 +0000\r\n\r\n`;
  const line = `${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3).slice(0, 76)}\r\n`;
  const lines = Math.max(1, Math.ceil((size - head.length) / line.length));
  return Buffer.from(head + line.repeat(lines), 'latin1');
}

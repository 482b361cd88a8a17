import { createConnection, type Socket } from 'node:net';

/** One SMTP/LMTP reply: code and its text lines. */
export interface LmtpReply {
  code: number;
  lines: string[];
}

/**
 * A small LMTP client for benchmarks: one connection, reused for many transactions, with
 * each transaction's commands pipelined (RFC 2920: MAIL, every RCPT and DATA in one write),
 * so per-message cost on the client side is two writes and one reply parse.
 */
export class LmtpConnection {
  private readonly socket: Socket;
  private buffer = '';
  private partial: string[] = [];
  private readonly replies: LmtpReply[] = [];
  private readonly waiters: Array<{ resolve: (r: LmtpReply) => void; reject: (e: Error) => void }> = [];
  private failure: Error | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('LMTP connection closed')));
  }

  /** Connects, reads the greeting and says LHLO; rejects if the server does not pipeline. */
  static async open(host: string, port: number, name = 'bench.client'): Promise<LmtpConnection> {
    const socket = createConnection({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const conn = new LmtpConnection(socket);
    expect(await conn.next(), 220, 'greeting');
    conn.socket.write(`LHLO ${name}\r\n`);
    const lhlo = await conn.next();
    expect(lhlo, 250, 'LHLO');
    if (!lhlo.lines.some((l) => l.toUpperCase().startsWith('PIPELINING'))) {
      throw new Error('server does not offer PIPELINING');
    }
    return conn;
  }

  /**
   * One transaction. `body` is the message with CRLF line ends, already dot-stuffed and
   * ending in CRLF. Returns one reply per recipient (the RCPT reply for a refused one, the
   * post-DATA reply for an accepted one), in recipient order.
   */
  async send(from: string, recipients: string[], body: Buffer): Promise<LmtpReply[]> {
    let commands = `MAIL FROM:<${from}>\r\n`;
    for (const r of recipients) commands += `RCPT TO:<${r}>\r\n`;
    commands += 'DATA\r\n';
    this.socket.write(commands);
    expect(await this.next(), 250, 'MAIL FROM');
    const rcpt: LmtpReply[] = [];
    for (let i = 0; i < recipients.length; i++) rcpt.push(await this.next());
    const data = await this.next();
    const accepted = rcpt.filter((r) => r.code >= 200 && r.code < 300).length;
    if (accepted === 0) {
      // DATA is refused (503/554) when no recipient was accepted; nothing more to read.
      return rcpt;
    }
    expect(data, 354, 'DATA');
    this.socket.write(body);
    this.socket.write('.\r\n');
    const out: LmtpReply[] = [];
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

  private next(): Promise<LmtpReply> {
    const ready = this.replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private onData(chunk: string): void {
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

function expect(reply: LmtpReply, code: number, what: string): void {
  if (reply.code !== code)
    throw new Error(`${what}: expected ${code}, got ${reply.code} ${reply.lines.join(' / ')}`);
}

/** A test message of about `size` bytes: headers plus 76-column lines, CRLF, dot-safe. */
export function makeMessage(size: number, id: string): Buffer {
  const head =
    `From: bench <bench@bench.test>\r\nTo: user <user@bench.test>\r\nSubject: bench ${id}\r\n` +
    `Message-ID: <${id}@bench.test>\r\nDate: Mon, 23 Nov 2026 08:00:00 +0000\r\n\r\n`;
  const line = `${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3).slice(0, 76)}\r\n`;
  const lines = Math.max(1, Math.ceil((size - head.length) / line.length));
  return Buffer.from(head + line.repeat(lines), 'latin1');
}

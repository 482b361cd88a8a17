import { createConnection, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';

/** One POP3 response: its status line, and for a multi-line one the data size and (if asked) lines. */
export interface Pop3Response {
  ok: boolean;
  status: string;
  /** Octets of the multi-line data as sent (dot-stuffed, CRLF, without the final `.` line). */
  octets: number;
  /** The data lines, when the command asked for them to be kept. */
  lines?: string[];
}

export interface Pop3ConnectOptions {
  host: string;
  port: number;
  /** TLS from the first byte (RFC 8314 implicit TLS, port 995). */
  implicitTls?: boolean;
}

interface Pending {
  multiline: boolean;
  keep: boolean;
  phase: 'status' | 'data';
  status: string;
  octets: number;
  chunks: Buffer[];
  resolve: (r: Pop3Response) => void;
  reject: (e: Error) => void;
}

const CRLF = Buffer.from('\r\n');
/** End of a multi-line response: the CRLF ending the last data line, `.`, CRLF. */
const TERMINATOR = Buffer.from('\r\n.\r\n');

/**
 * A small POP3 client for benchmarks. Responses are parsed as they stream in, without
 * copying message data (only a few bytes carried across TCP/TLS record boundaries), so a
 * RETR of 100 KB costs the client one search for the terminator. Commands may be pipelined
 * (RFC 2449 PIPELINING): `send` writes at once and the responses resolve in order.
 * Certificates are not verified: it only talks to loopback servers the bench started with a
 * throwaway self-signed certificate.
 */
export class Pop3Session {
  private readonly socket: Socket | TLSSocket;
  private readonly pending: Pending[] = [];
  private carry: Buffer = Buffer.alloc(0);
  private failure: Error | undefined;
  /** Bytes received, all responses included. */
  received = 0;

  private constructor(socket: Socket | TLSSocket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Connects (optionally with implicit TLS) and reads the +OK greeting. */
  static async connect(options: Pop3ConnectOptions): Promise<Pop3Session> {
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
    socket.setNoDelay(true);
    const session = new Pop3Session(socket);
    const greeting = await session.expect(false, false);
    if (!greeting.ok) throw new Error(`POP3 greeting: ${greeting.status}`);
    return session;
  }

  /** Sends one command; resolves with its response. */
  command(line: string, options: { multiline?: boolean; keep?: boolean } = {}): Promise<Pop3Response> {
    const response = this.expect(options.multiline ?? false, options.keep ?? false);
    this.socket.write(`${line}\r\n`);
    return response;
  }

  /** Pipelines several commands in one write; resolves with their responses in order. */
  pipeline(lines: string[], multiline: boolean): Promise<Pop3Response[]> {
    const responses = lines.map(() => this.expect(multiline, false));
    this.socket.write(lines.map((l) => `${l}\r\n`).join(''));
    return Promise.all(responses);
  }

  /** USER + PASS; throws on -ERR. */
  async login(user: string, password: string): Promise<void> {
    const u = await this.command(`USER ${user}`);
    if (!u.ok) throw new Error(`USER: ${u.status}`);
    const p = await this.command(`PASS ${password}`);
    if (!p.ok) throw new Error(`PASS: ${p.status}`);
  }

  async quit(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    await this.command('QUIT');
    this.socket.end();
    await closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private expect(multiline: boolean, keep: boolean): Promise<Pop3Response> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({
        multiline,
        keep,
        phase: 'status',
        status: '',
        octets: 0,
        chunks: [],
        resolve,
        reject,
      });
    });
  }

  private fail(error: Error): void {
    if (this.failure === undefined) this.failure = error;
    for (const p of this.pending.splice(0)) p.reject(error);
  }

  private receive(chunk: Buffer): void {
    this.received += chunk.length;
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const cur = this.pending[0];
      if (cur === undefined) break;
      if (cur.phase === 'status') {
        const eol = data.indexOf(CRLF, pos);
        if (eol < 0) break;
        cur.status = data.toString('latin1', pos, eol);
        const ok = cur.status.startsWith('+OK');
        if (!cur.multiline || !ok) {
          this.pending.shift();
          cur.resolve({ ok, status: cur.status, octets: 0 });
          pos = eol + 2;
          continue;
        }
        // Search from the status line's own CRLF, so an empty body (".\r\n" right after it)
        // matches the terminator too; those two bytes are taken back off the count.
        cur.phase = 'data';
        cur.octets = -2;
        pos = eol;
      }
      const end = data.indexOf(TERMINATOR, pos);
      if (end < 0) {
        // Keep the last 4 bytes: a terminator may straddle this chunk and the next.
        const keepFrom = Math.max(pos, data.length - (TERMINATOR.length - 1));
        cur.octets += keepFrom - pos;
        if (cur.keep) cur.chunks.push(data.subarray(pos, keepFrom));
        pos = keepFrom;
        break;
      }
      cur.octets += end + 2 - pos;
      if (cur.keep) cur.chunks.push(data.subarray(pos, end + 2));
      pos = end + TERMINATOR.length;
      this.pending.shift();
      const response: Pop3Response = { ok: true, status: cur.status, octets: cur.octets };
      if (cur.keep) {
        // Drop the status line's CRLF at the front, then split the CRLF-ended lines.
        const text = Buffer.concat(cur.chunks).toString('latin1').slice(2);
        response.lines = text === '' ? [] : text.slice(0, -2).split('\r\n');
      }
      cur.resolve(response);
    }
    // Copy the (small) rest: `data` may be a view of a buffer the stream reuses.
    this.carry = Buffer.from(data.subarray(pos));
  }
}

import { createConnection, type Socket } from 'node:net';

/** The tagged completion of one command, with what came before it. */
export interface ImapReply {
  status: 'OK' | 'NO' | 'BAD';
  /** The tagged line after the status word. */
  text: string;
  /** Bytes the server sent for this command, untagged responses and literals included. */
  bytes: number;
  /** Literal octets among those bytes (message data for a body FETCH). */
  literalBytes: number;
  /** Untagged responses (`* ...`) seen. */
  untagged: number;
  /** The untagged responses as text (literal data left out), when the command asked to keep them. */
  lines?: string[];
}

interface Pending {
  tag: string;
  keep: boolean;
  bytes: number;
  literalBytes: number;
  untagged: number;
  lines: string[];
  resolve: (r: ImapReply) => void;
  reject: (e: Error) => void;
}

const CRLF = Buffer.from('\r\n');
/** A tag no reply carries: the greeting is waited for as an untagged line. */
const GREETING = '*greeting';
const BRACE_CLOSE = 0x7d;
const BRACE_OPEN = 0x7b;

/**
 * A small IMAP client for benchmarks: one command at a time, responses framed as they stream
 * in (lines, and `{n}` literals skipped by counting, never copied), so a FETCH of a whole
 * 100,000-message folder costs the client one CRLF search per line. Plain TCP on loopback.
 */
export class ImapConnection {
  private readonly socket: Socket;
  private pending: Pending | undefined;
  private continuation: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private carry: Buffer = Buffer.alloc(0);
  /** Literal bytes still to skip; the response line goes on after them. */
  private literalLeft = 0;
  /** Inside a response line broken by a literal: the next piece continues it. */
  private inResponse = false;
  private kind: 'untagged' | 'continue' | 'tagged' = 'untagged';
  /** The start of the current tagged line. */
  private head = '';
  /** The current response line's text so far, when kept (literal data left out). */
  private partial = '';
  private failure: Error | undefined;
  private nextTag = 1;
  /** Bytes received on this connection, greeting included. */
  received = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Connects and waits for the `* OK` greeting. */
  static async connect(port: number, host = '127.0.0.1'): Promise<ImapConnection> {
    const socket = createConnection({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    const connection = new ImapConnection(socket);
    const greeting = await connection.expect(GREETING, true);
    const first = greeting.lines?.[0] ?? '';
    if (!first.startsWith('* OK')) throw new Error(`IMAP greeting: ${first}`);
    return connection;
  }

  /** Sends `<tag> <command>` and resolves with its tagged reply (NO/BAD resolve too). */
  command(command: string, options: { keep?: boolean } = {}): Promise<ImapReply> {
    const tag = `a${this.nextTag++}`;
    const reply = this.expect(tag, options.keep ?? false);
    this.socket.write(`${tag} ${command}\r\n`);
    return reply;
  }

  /** Like `command`, but throws unless the reply is OK. */
  async ok(command: string, options: { keep?: boolean } = {}): Promise<ImapReply> {
    const reply = await this.command(command, options);
    if (reply.status !== 'OK') throw new Error(`${command.split(' ')[0]}: ${reply.status} ${reply.text}`);
    return reply;
  }

  async login(user: string, password: string): Promise<void> {
    await this.ok(`LOGIN ${user} ${password}`);
  }

  /**
   * Starts IDLE and resolves at the server's `+` continuation with `done`, which ends the IDLE
   * and resolves with its tagged reply.
   */
  async idle(): Promise<{ done(): Promise<ImapReply> }> {
    const continued = new Promise<void>((resolve, reject) => {
      this.continuation = { resolve, reject };
    });
    const reply = this.command('IDLE');
    reply.catch(() => undefined);
    await continued;
    return {
      done: () => {
        this.socket.write('DONE\r\n');
        return reply;
      },
    };
  }

  async logout(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    await this.command('LOGOUT').catch(() => undefined);
    this.socket.end();
    await closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private expect(tag: string, keep: boolean): Promise<ImapReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.pending !== undefined) return Promise.reject(new Error('one command at a time'));
    return new Promise((resolve, reject) => {
      this.pending = { tag, keep, bytes: 0, literalBytes: 0, untagged: 0, lines: [], resolve, reject };
    });
  }

  private fail(error: Error): void {
    if (this.failure === undefined) this.failure = error;
    this.pending?.reject(error);
    this.pending = undefined;
    this.continuation?.reject(error);
    this.continuation = undefined;
  }

  private receive(chunk: Buffer): void {
    this.received += chunk.length;
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let pos = 0;
    while (pos < data.length) {
      if (this.literalLeft > 0) {
        const n = Math.min(this.literalLeft, data.length - pos);
        this.literalLeft -= n;
        pos += n;
        if (this.pending !== undefined) {
          this.pending.bytes += n;
          this.pending.literalBytes += n;
        }
        continue;
      }
      const eol = data.indexOf(CRLF, pos);
      if (eol < 0) break;
      this.line(data, pos, eol);
      pos = eol + 2;
    }
    // Copy the (short) rest: `data` may be a view of a buffer the stream reuses.
    this.carry = pos < data.length ? Buffer.from(data.subarray(pos)) : Buffer.alloc(0);
  }

  /** One CRLF-ended piece of a response: a whole line, or the part up to a `{n}` literal. */
  private line(data: Buffer, start: number, eol: number): void {
    const p = this.pending;
    if (p !== undefined) p.bytes += eol + 2 - start;
    if (!this.inResponse) {
      const c = data[start];
      this.kind = c === 0x2a /* '*' */ ? 'untagged' : c === 0x2b /* '+' */ ? 'continue' : 'tagged';
      if (this.kind === 'untagged' && p !== undefined) p.untagged++;
      if (this.kind === 'tagged') this.head = data.toString('latin1', start, Math.min(eol, start + 512));
    }
    if (p?.keep) this.partial += data.toString('latin1', start, eol);
    const literal = literalSize(data, start, eol);
    if (literal !== null) {
      this.inResponse = true;
      this.literalLeft = literal;
      return;
    }
    this.inResponse = false;
    const text = this.partial;
    this.partial = '';
    if (p === undefined) return;
    if (this.kind === 'untagged') {
      if (p.keep) p.lines.push(text);
      if (p.tag === GREETING) this.settle(p, 'OK', '');
    } else if (this.kind === 'continue') {
      const c = this.continuation;
      this.continuation = undefined;
      c?.resolve();
    } else if (this.head.startsWith(`${p.tag} `)) {
      const rest = this.head.slice(p.tag.length + 1);
      const space = rest.indexOf(' ');
      const status = (space < 0 ? rest : rest.slice(0, space)).toUpperCase();
      if (status !== 'OK' && status !== 'NO' && status !== 'BAD') {
        this.fail(new Error(`bad tagged line: ${this.head}`));
        return;
      }
      this.settle(p, status, space < 0 ? '' : rest.slice(space + 1));
    }
  }

  private settle(p: Pending, status: ImapReply['status'], text: string): void {
    this.pending = undefined;
    const reply: ImapReply = {
      status,
      text,
      bytes: p.bytes,
      literalBytes: p.literalBytes,
      untagged: p.untagged,
    };
    if (p.keep) reply.lines = p.lines;
    p.resolve(reply);
  }
}

/** `n` when the bytes [start, eol) end with `{n}` (or `{n+}`, `~{n}`), else null. */
function literalSize(data: Buffer, start: number, eol: number): number | null {
  if (eol <= start || data[eol - 1] !== BRACE_CLOSE) return null;
  let i = eol - 2;
  if (data[i] === 0x2b /* '+' */) i--;
  let n = 0;
  let scale = 1;
  for (; i > start; i--) {
    const c = data[i] as number;
    if (c === BRACE_OPEN) return scale === 1 ? null : n;
    if (c < 0x30 || c > 0x39) return null;
    n += (c - 0x30) * scale;
    scale *= 10;
  }
  return null;
}

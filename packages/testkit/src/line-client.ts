import { connect, type Socket } from 'node:net';

export interface LineClientOptions {
  /** Default for every read: fail after this long without the awaited data. Default 5000 ms. */
  timeoutMs?: number;
}

/**
 * A promise-based client for line protocols (SMTP, LMTP, IMAP, POP3), for raw tests.
 * Reads are sequential: call one read at a time and await it.
 */
export interface LineClient {
  readonly socket: Socket;
  /** The next line, without its CRLF (or bare LF). */
  read(timeoutMs?: number): Promise<string>;
  /** Lines up to and including the first that matches `re`. */
  readUntil(re: RegExp, timeoutMs?: number): Promise<string[]>;
  /** Exactly `n` raw bytes (an IMAP literal, a message body). */
  readBytes(n: number, timeoutMs?: number): Promise<Buffer>;
  /** Sends data as is. */
  write(data: string | Buffer): Promise<void>;
  /** Sends one line, adding CRLF. */
  writeLine(line: string): Promise<void>;
  /** Resolves once the server has closed the connection (rejects nothing). */
  readonly closed: Promise<void>;
  /** Ends our side and waits until the socket is closed. */
  close(): Promise<void>;
}

type Want = { kind: 'line' } | { kind: 'bytes'; n: number };

export async function lineClient(
  port: number,
  host = '127.0.0.1',
  options: LineClientOptions = {},
): Promise<LineClient> {
  const defaultTimeout = options.timeoutMs ?? 5000;
  const socket = connect({ port, host });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });

  let buffer: Buffer = Buffer.alloc(0);
  let ended = false;
  let failure: Error | null = null;
  let pending: { want: Want; resolve: (b: Buffer) => void; reject: (e: Error) => void } | null = null;
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => {
    closedResolve = r;
  });

  /** Takes what `want` asks for from the buffer, or null if it is not there yet. */
  const take = (want: Want): Buffer | null => {
    if (want.kind === 'bytes') {
      if (buffer.length < want.n) return null;
      const out = buffer.subarray(0, want.n);
      buffer = buffer.subarray(want.n);
      return out;
    }
    const lf = buffer.indexOf(0x0a);
    if (lf < 0) return null;
    const end = lf > 0 && buffer[lf - 1] === 0x0d ? lf - 1 : lf;
    const out = buffer.subarray(0, end);
    buffer = buffer.subarray(lf + 1);
    return out;
  };

  const pump = () => {
    if (!pending) return;
    const got = take(pending.want);
    if (got) {
      const p = pending;
      pending = null;
      p.resolve(Buffer.from(got));
    } else if (ended || failure) {
      const p = pending;
      pending = null;
      const unread = buffer.length ? `; unread: ${JSON.stringify(buffer.toString('utf8'))}` : '';
      p.reject(failure ?? new Error(`connection closed by the server${unread}`));
    }
  };

  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    pump();
  });
  socket.on('end', () => {
    ended = true;
    pump();
  });
  socket.on('error', (err) => {
    failure = err;
    pump();
  });
  socket.on('close', () => {
    ended = true;
    pump();
    closedResolve();
  });

  const await_ = (want: Want, timeoutMs = defaultTimeout): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      if (pending) return reject(new Error('lineClient: a read is already waiting; await it first'));
      const what = want.kind === 'line' ? 'a line' : `${want.n} bytes`;
      const timer = setTimeout(() => {
        pending = null;
        const have = buffer.length ? `; received so far: ${JSON.stringify(buffer.toString('utf8'))}` : '';
        reject(new Error(`lineClient: timed out after ${timeoutMs} ms waiting for ${what}${have}`));
      }, timeoutMs);
      pending = {
        want,
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      pump();
    });

  const write = (data: string | Buffer) =>
    new Promise<void>((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));

  return {
    socket,
    read: async (timeoutMs) => (await await_({ kind: 'line' }, timeoutMs)).toString('utf8'),
    async readUntil(re, timeoutMs = defaultTimeout) {
      const deadline = Date.now() + timeoutMs;
      const lines: string[] = [];
      for (;;) {
        let line: string;
        try {
          line = (await await_({ kind: 'line' }, Math.max(1, deadline - Date.now()))).toString('utf8');
        } catch (err) {
          const seen = lines.length ? `; lines before: ${JSON.stringify(lines)}` : '';
          throw new Error(`${(err as Error).message} (readUntil ${re})${seen}`);
        }
        lines.push(line);
        if (re.test(line)) return lines;
      }
    },
    readBytes: (n, timeoutMs) => await_({ kind: 'bytes', n }, timeoutMs),
    write,
    writeLine: (line) => write(`${line}\r\n`),
    closed,
    async close() {
      if (!socket.destroyed) socket.end();
      // A server that never closes its side would keep us waiting: destroy after a grace period.
      const grace = setTimeout(() => socket.destroy(), 1000);
      await closed;
      clearTimeout(grace);
    },
  };
}

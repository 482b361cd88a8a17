import { connect, type Socket } from 'node:net';

/**
 * A raw IMAP client for wire comparisons: it sends command lines as given and hands back each
 * server response as the exact bytes received (literals included), so two servers' answers
 * can be compared byte for byte. No parsing beyond framing (lines and `{n}` literals).
 */
export class RawImapClient {
  private readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  private readonly waiters: Array<() => void> = [];
  private closed = false;
  private tagCounter = 0;
  /** Every byte the server sent, for failure messages. */
  transcript = '';

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.transcript += chunk.toString('utf8');
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {
      this.closed = true;
      this.wake();
    });
  }

  static async connect(
    port: number,
    host = '127.0.0.1',
  ): Promise<{ client: RawImapClient; greeting: string }> {
    const socket = connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawImapClient(socket);
    const greeting = (await client.readResponse()).toString('utf8');
    return { client, greeting };
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async more(): Promise<void> {
    if (this.closed) throw new Error(`connection closed; transcript:\n${this.transcript.slice(-2000)}`);
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** One complete response: a line plus every literal it announces, CRLF at the end removed. */
  private async readResponse(): Promise<Buffer> {
    let pos = 0;
    for (;;) {
      const lf = this.buffer.indexOf(0x0a, pos);
      if (lf < 0) {
        await this.more();
        continue;
      }
      const literal = /\{(\d+)\}\r$/.exec(this.buffer.toString('latin1', Math.max(pos, lf - 24), lf));
      if (literal !== null) {
        const end = lf + 1 + Number(literal[1]);
        while (this.buffer.length < end) await this.more();
        pos = end;
        continue;
      }
      const response = this.buffer.subarray(0, lf - 1);
      this.buffer = this.buffer.subarray(lf + 1);
      return Buffer.from(response);
    }
  }

  /** Sends `tag command` and collects the untagged responses until the tagged one. */
  async command(command: string): Promise<{ untagged: Buffer[]; tagged: string }> {
    const tag = `R${++this.tagCounter}`;
    this.socket.write(`${tag} ${command}\r\n`);
    const untagged: Buffer[] = [];
    for (;;) {
      const response = await this.readResponse();
      const text = response.toString('latin1', 0, Math.min(response.length, tag.length + 1));
      if (text === `${tag} `) return { untagged, tagged: response.toString('utf8') };
      untagged.push(response);
    }
  }

  /** Like `command`, but a tagged answer other than OK throws with the transcript. */
  async ok(command: string): Promise<Buffer[]> {
    const { untagged, tagged } = await this.command(command);
    if (!/^R\d+ OK/.test(tagged)) throw new Error(`${command} → ${tagged}\n${this.transcript.slice(-2000)}`);
    return untagged;
  }

  async close(): Promise<void> {
    if (!this.closed) {
      await this.command('LOGOUT').catch(() => undefined);
      this.socket.destroy();
    }
  }
}

/** One FETCH response: the message sequence number and its items in the order sent. */
export interface FetchResponse {
  seq: number;
  /**
   * [item name as sent (e.g. `BODY[1.MIME]`), the item's value exactly as on the wire, as a
   * latin1 string: one char per byte, so literal lengths still count]. `wireText` shows it.
   */
  items: Array<[string, string]>;
}

/**
 * Splits `* n FETCH (name value name value ...)` into its items, each value kept as its wire
 * text (quoted strings with their quotes, literals with their `{n}\r\n` header), so the
 * comparison is on exactly what a client would parse. Returns undefined for other responses.
 */
export function parseFetchResponse(response: Buffer): FetchResponse | undefined {
  const text = response.toString('latin1');
  const head = /^\* (\d+) FETCH \(/.exec(text);
  if (head === null) return undefined;
  const items: Array<[string, string]> = [];
  let i = head[0].length;
  const fail = (why: string): never => {
    throw new Error(`bad FETCH response (${why}) at ${i}: ${response.toString('utf8')}`);
  };
  const skipValue = (): void => {
    const ch = text[i];
    if (ch === '(') {
      i++;
      while (text[i] !== ')') {
        if (i >= text.length) fail('unclosed list');
        if (text[i] === ' ') i++;
        else skipValue();
      }
      i++;
    } else if (ch === '"') {
      i++;
      while (text[i] !== '"') {
        if (i >= text.length) fail('unclosed quoted string');
        if (text[i] === '\\') i++;
        i++;
      }
      i++;
    } else if (ch === '{') {
      const m = /^\{(\d+)\}\r\n/.exec(text.slice(i, i + 24));
      if (m === null) fail('bad literal');
      i += m![0].length + Number(m![1]);
    } else {
      const start = i;
      while (i < text.length && !' ()'.includes(text[i]!)) i++;
      if (i === start) fail('empty atom');
    }
  };
  while (text[i] !== ')') {
    if (i >= text.length) fail('unterminated item list');
    if (text[i] === ' ') {
      i++;
      continue;
    }
    const nameStart = i;
    while (i < text.length && text[i] !== ' ' && text[i] !== '[') i++;
    if (text[i] === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) fail('unclosed section');
      i = close + 1;
      if (text[i] === '<') i = text.indexOf('>', i) + 1;
    }
    const name = text.slice(nameStart, i);
    if (text[i] !== ' ') fail('no value');
    i++;
    const valueStart = i;
    skipValue();
    items.push([name, text.slice(valueStart, i)]);
  }
  return { seq: Number(head[1]), items };
}

/** A latin1 wire value for humans: UTF-8 decoded, CR and LF made visible. */
export function wireText(value: string | undefined): string {
  if (value === undefined) return '(absent)';
  return Buffer.from(value, 'latin1').toString('utf8').replaceAll('\r', '\\r').replaceAll('\n', '\\n');
}

/**
 * A latin1 wire value with every string in one form: RFC 3501 4.3 lets a server send any
 * string as a quoted string or a literal (Dovecot uses literals for text with `"`, `\`,
 * 8-bit bytes or line breaks; we quote what can be quoted). Strings become `"..."` with
 * `\`, `"`, CR and LF escaped; their bytes, NIL, atoms, numbers and list shape stay as sent.
 */
export function canonicalValue(value: string): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const ch = value[i]!;
    if (ch === '"') {
      let content = '';
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\') i++;
        content += value[i] ?? '';
        i++;
      }
      i++;
      out += quote(content);
    } else if (ch === '{') {
      const m = /^\{(\d+)\}\r\n/.exec(value.slice(i, i + 24));
      if (m === null) throw new Error(`bad literal in ${wireText(value)}`);
      const start = i + m[0].length;
      out += quote(value.slice(start, start + Number(m[1])));
      i = start + Number(m[1]);
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

function quote(content: string): string {
  return `"${content
    .replace(/[\\"]/g, (c) => `\\${c}`)
    .replaceAll('\r', '\\r')
    .replaceAll('\n', '\\n')}"`;
}

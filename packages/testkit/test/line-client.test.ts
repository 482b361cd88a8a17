import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { lineClient } from '../src/index.ts';

let server: Server | undefined;
const sockets = new Set<Socket>();

async function serve(onConnect: (s: Socket) => void): Promise<number> {
  server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    onConnect(s);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe('lineClient', () => {
  it('reads lines split across packets, bare LF too, then literals and tagged replies', async () => {
    const port = await serve((s) => {
      s.write('* OK IMAP4rev1 re');
      setImmediate(() => s.write('ady\r\nsecond\nthird\r\n'));
      s.on('data', (d) => {
        if (d.toString() === 'a1 FETCH 1 BODY[]\r\n')
          s.write('* 1 FETCH (BODY[] {5}\r\nhello)\r\n* 2 EXISTS\r\na1 OK done\r\n');
      });
    });
    const c = await lineClient(port);
    expect(await c.read()).toBe('* OK IMAP4rev1 ready');
    expect(await c.read()).toBe('second');
    expect(await c.read()).toBe('third');
    await c.writeLine('a1 FETCH 1 BODY[]');
    expect(await c.read()).toBe('* 1 FETCH (BODY[] {5}');
    expect((await c.readBytes(5)).toString()).toBe('hello');
    expect(await c.readUntil(/^a1 /)).toEqual([')', '* 2 EXISTS', 'a1 OK done']);
    await c.close();
  });

  it('sends exactly what it is given', async () => {
    const received: Buffer[] = [];
    let gotAll!: () => void;
    const done = new Promise<void>((r) => (gotAll = r));
    const port = await serve((s) =>
      s.on('data', (d) => {
        received.push(d);
        if (Buffer.concat(received).includes('END')) gotAll();
      }),
    );
    const c = await lineClient(port);
    await c.write('USER a');
    await c.write(Buffer.from([0x0d, 0x0a, 0xff]));
    await c.writeLine('END');
    await done;
    expect(Buffer.concat(received)).toEqual(
      Buffer.concat([Buffer.from('USER a\r\n'), Buffer.from([0xff]), Buffer.from('END\r\n')]),
    );
    await c.close();
  });

  it('rejects a read when the server closes, and says what was left unread', async () => {
    const port = await serve((s) => s.end('+OK bye\r\npartial'));
    const c = await lineClient(port);
    expect(await c.read()).toBe('+OK bye');
    await expect(c.read()).rejects.toThrow(/connection closed by the server; unread: "partial"/);
    await c.closed;
    await c.close();
  });

  it('times out a read clearly, and readUntil reports the lines it saw', async () => {
    const port = await serve((s) => s.write('* one\r\n* two\r\nhalf'));
    const c = await lineClient(port, '127.0.0.1', { timeoutMs: 150 });
    await expect(c.readUntil(/^a1 OK/)).rejects.toThrow(
      /timed out after \d+ ms waiting for a line; received so far: "half" \(readUntil \/\^a1 OK\/\); lines before: \["\* one","\* two"\]/,
    );
    await c.close();
  });

  it('refuses to connect to a closed port', async () => {
    const port = await serve(() => {});
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    await expect(lineClient(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

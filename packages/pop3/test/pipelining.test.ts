import { Readable } from 'node:stream';
import type { Folder, MailboxStore } from '@mailstack/core';
import { type LineClient, lineClient } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { DropMessage } from '../src/maildrop.ts';
import { ReadAhead } from '../src/read-ahead.ts';
import { ALICE, type Harness, message, startHarness, USERS } from './fixtures.ts';

/** Harnesses and clients of the running test, closed last-opened first. */
const opened: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function harness(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness(options);
  opened.push(h);
  return h;
}

async function login(port: number): Promise<LineClient> {
  const client = await lineClient(port);
  opened.push(client);
  expect(await client.read()).toMatch(/^\+OK/);
  // USER and PASS pipelined too: the session answers both in order.
  await client.write(`USER ${ALICE}\r\nPASS ${USERS[ALICE]}\r\n`);
  expect(await client.read()).toMatch(/^\+OK/);
  expect(await client.read()).toMatch(/^\+OK maildrop has/);
  return client;
}

/** RFC 1939 multi-line form written the slow, obvious way (line by line), to compare against. */
function expectedRetr(wire: string): string {
  const body = wire.endsWith('\r\n') ? wire : `${wire}\r\n`;
  const lines = body.slice(0, -2).split('\r\n');
  const stuffed = lines.map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n');
  return `+OK ${Buffer.byteLength(wire)} octets\r\n${stuffed}\r\n.\r\n`;
}

/** A property of `target`, methods bound to it (stores keep private fields). */
function bound(target: object, prop: string | symbol): unknown {
  const value = Reflect.get(target, prop);
  return typeof value === 'function' ? value.bind(target) : value;
}

/**
 * A store whose folder records each read() and holds the first message's bytes until
 * `release()`: which reads started while message 1 could not be sent yet shows whether the
 * session reads ahead, without looking at any clock.
 */
function gatedStore(inner: MailboxStore): {
  store: MailboxStore;
  reads: number[];
  firstRead: Promise<number[]>;
  release: () => void;
} {
  const reads: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let seen!: (uids: number[]) => void;
  const firstRead = new Promise<number[]>((r) => {
    seen = r;
  });
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop !== 'openFolder') return bound(target, prop);
      return async (...args: unknown[]) => {
        const folder = (await (target.openFolder as (...a: unknown[]) => Promise<Folder>)(...args)) as Folder;
        const first = folder.messages()[0]?.uid;
        return new Proxy(folder, {
          get(f, p) {
            if (p !== 'read') return bound(f, p);
            return (uid: number) => {
              reads.push(uid);
              const source = f.read(uid);
              if (uid !== first) return source;
              // Every read the session starts in this turn is in `reads` once the turn is over.
              setImmediate(() => seen([...reads]));
              return Readable.from(
                (async function* () {
                  await gate;
                  yield* source;
                })(),
              );
            };
          },
        });
      };
    },
  });
  return { store, reads, firstRead, release };
}

describe('pipelined RETR', () => {
  it('reads the messages of queued RETRs ahead, while the first one is still being read', async () => {
    const h = await harness();
    const texts = [1, 2, 3, 4].map((n) => message(n));
    const uids = [];
    for (const t of texts) uids.push(await h.deliver(t));
    const gated = gatedStore(h.store);
    await h.server.close();
    const { createPop3Server } = await import('../src/index.ts');
    const server = createPop3Server({
      directory: h.directory,
      store: gated.store,
      hostname: 'pop.example.test',
      allowCleartextAuthOnLoopback: true,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const c = await login(port);
      await c.write('RETR 1\r\nRETR 2\r\nRETR 3\r\nRETR 4\r\n');
      // Message 1 is held back, yet messages 2-4 are already being read.
      expect(await gated.firstRead).toEqual(uids);
      gated.release();
      const want = texts.map(expectedRetr).join('');
      expect((await c.readBytes(Buffer.byteLength(want))).toString()).toBe(want);
      await c.writeLine('QUIT');
      expect(await c.read()).toMatch(/^\+OK/);
    } finally {
      gated.release();
      await server.close();
    }
  });

  it('keeps order and dot-stuffing exact across read-ahead, streamed large messages, DELE and TOP', async () => {
    const h = await harness({ backend: 'maildir' });
    const texts = [
      message(1, '.starts with a dot\r\n..two dots\r\n.\r\nend\r\n'),
      message(2, 'no final line end'),
      message(3, `${'.x\r\n'.repeat(20_000)}.last\r\n`), // 80 KB: read ahead
      message(4, `${'y'.repeat(998)}\r\n`.repeat(300)), // 300 KB: streamed, never read ahead
      message(5, '.\r\n.\r\n'),
      ...Array.from({ length: 30 }, (_, i) => message(6 + i, `.${i}\r\nplain\r\n`)),
    ];
    for (const t of texts) await h.deliver(t);
    const c = await login(h.port);
    const commands: string[] = [];
    let want = '';
    for (let n = 1; n <= texts.length; n++) {
      commands.push(`RETR ${n}`);
      want += expectedRetr(texts[n - 1] as string);
      if (n === 3) {
        // Deleted while its RETR is queued (and maybe read ahead): refused, the rest goes on.
        commands.push('DELE 7', 'RETR 7', 'TOP 1 1');
        want += '+OK message 7 deleted\r\n-ERR message 7 already deleted\r\n';
        want += `+OK top of message follows\r\n${(texts[0] as string).split('\r\n\r\n')[0]}\r\n\r\n..starts with a dot\r\n.\r\n`;
      }
      if (n === 7) {
        want = want.slice(0, want.length - expectedRetr(texts[6] as string).length);
        want += '-ERR message 7 already deleted\r\n';
      }
    }
    await c.write(`${commands.join('\r\n')}\r\n`);
    const got = (await c.readBytes(Buffer.byteLength(want), 20_000)).toString();
    expect(got.length).toBe(want.length);
    expect(got === want).toBe(true); // not toBe(want): a diff of half a megabyte helps nobody
    await c.writeLine('QUIT');
    expect(await c.read()).toMatch(/^\+OK/);
  });
});

describe('ReadAhead', () => {
  const drop = (number: number, size: number): DropMessage => ({
    number,
    uid: number,
    size,
    uidl: `1.${number}`,
  });

  it('stays within its byte budget, in command order, and never reads a large message ahead', async () => {
    const started: number[] = [];
    const ahead = new ReadAhead(
      async (m) => {
        started.push(m.number);
        return Buffer.alloc(m.size);
      },
      { maxBytes: 100, maxMessageBytes: 50 },
    );
    ahead.plan([drop(1, 40), drop(2, 40), drop(3, 40), drop(4, 10)]);
    expect(started).toEqual([1, 2]); // 3 would go over 100; 4 waits behind it (order)
    expect(ahead.bytes).toBe(80);
    expect((await ahead.take(1))?.length).toBe(40);
    ahead.plan([drop(2, 40), drop(3, 40), drop(5, 60), drop(6, 1)]);
    expect(started).toEqual([1, 2, 3]); // 5 is over maxMessageBytes: streamed later
    expect(ahead.bytes).toBe(80);
    // A read no queued command wants any more is dropped and its budget given back.
    ahead.plan([drop(6, 1)]);
    expect(started).toEqual([1, 2, 3, 6]);
    expect(ahead.bytes).toBe(1);
    expect(ahead.take(2)).toBeNull();
  });
});

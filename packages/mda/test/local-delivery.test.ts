import { Readable } from 'node:stream';
import { bufferBlob, type MessageBlob } from '@mailstack/core';
import { memoryDirectory, type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalDelivery, deliver } from '../src/index.ts';
import { ALIASES, readMessages, storeFor, USERS } from './fixtures.ts';

let dir: TempDir | undefined;
afterEach(async () => {
  await dir?.cleanup();
  dir = undefined;
});

async function setup() {
  dir = await tempDir('mailstack-mda-lib-');
  const directory = memoryDirectory({ users: USERS, aliases: ALIASES });
  return { directory, store: storeFor(dir.path, directory) };
}

const envelope = (mailFrom: string, ...rcpts: string[]) => ({
  mailFrom,
  rcptTo: rcpts.map((address) => ({ address })),
  params: {},
});

describe('deliver() / createLocalDelivery()', () => {
  it('gives one result per recipient, in recipient order, as a DeliveryTarget', async () => {
    const { directory, store } = await setup();
    const target = createLocalDelivery({ directory, store });
    const results = await target.deliver(
      envelope(
        's@remote.test',
        'bob@example.test',
        'ghost@example.test',
        'bad address',
        'alice@example.test',
      ),
      bufferBlob('Subject: x\r\n\r\nbody\r\n'),
    );
    expect(results.map((r) => [r.recipient, r.reply.code, r.reply.enhanced])).toEqual([
      ['bob@example.test', 250, '2.0.0'],
      ['ghost@example.test', 550, '5.1.1'],
      ['bad address', 501, '5.1.3'],
      ['alice@example.test', 250, '2.0.0'],
    ]);
  });

  it('delivers a repeated recipient once', async () => {
    const { directory, store } = await setup();
    const results = await deliver(
      envelope('s@remote.test', 'alice@example.test', 'ALICE@example.test'),
      bufferBlob('Subject: x\r\n\r\nbody\r\n'),
      { directory, store },
    );
    expect(results.map((r) => r.reply.code)).toEqual([250, 250]);
    expect(await readMessages(store, 'alice@example.test')).toHaveLength(1);
  });

  it("writes the trace headers in the message's own line endings (LF from a pipe)", async () => {
    const { directory, store } = await setup();
    await deliver(envelope('s@remote.test', 'alice@example.test'), bufferBlob('Subject: lf\n\nbody\n'), {
      directory,
      store,
    });
    const [text] = await readMessages(store, 'alice@example.test');
    // the store reads back in wire form (CRLF); a mix of CRLF and LF would show as \r\r or bare \n
    expect(text).toBe(
      'Return-Path: <s@remote.test>\r\nDelivered-To: alice@example.test\r\nSubject: lf\r\n\r\nbody\r\n',
    );
  });

  it('turns a body stream that fails midway into a temporary failure, never a 250', async () => {
    const { directory, store } = await setup();
    const failing: MessageBlob = {
      size: 100_000,
      open: () =>
        new Readable({
          read() {
            this.push(Buffer.from('Subject: x\r\n\r\npartial body\r\n'));
            this.destroy(Object.assign(new Error('EIO: injected'), { code: 'EIO' }));
          },
        }),
    };
    const [result] = await deliver(envelope('s@remote.test', 'alice@example.test'), failing, {
      directory,
      store,
    });
    expect(result?.reply.code).toBeGreaterThanOrEqual(400);
    expect(result?.reply.code).toBeLessThan(500);
    expect(await readMessages(store, 'alice@example.test')).toHaveLength(0);
  });

  it('logs alias forwards and ignores them', async () => {
    const { store } = await setup();
    const directory = memoryDirectory({
      users: USERS,
      aliases: { 'both@example.test': ['alice@example.test', 'friend@elsewhere.test'] },
    });
    const events: object[] = [];
    const logger = {
      info: (f: object) => events.push(f),
      warn: () => {},
      error: () => {},
      debug: () => {},
      child: () => logger,
    };
    const [result] = await deliver(
      envelope('s@remote.test', 'both@example.test'),
      bufferBlob('S: x\r\n\r\nb\r\n'),
      {
        directory,
        store,
        logger,
      },
    );
    expect(result?.reply.code).toBe(250);
    expect(events).toContainEqual(
      expect.objectContaining({ event: 'forward-ignored', forward: ['friend@elsewhere.test'] }),
    );
  });
});

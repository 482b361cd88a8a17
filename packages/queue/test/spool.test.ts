import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { bufferBlob, deliveryEnvelope, type Logger, SmtpError, type SpoolEvent } from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FileSpool, openFileSpool } from '../src/index.ts';
import { isQueueId } from '../src/queue-id.ts';
import {
  blobBytes,
  envelope,
  type manualClock as ManualClock,
  manualClock,
  messageBytes,
  reply,
  tempDir,
} from './fixtures.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let clock: ReturnType<typeof ManualClock>;
let spool: FileSpool;
beforeEach(async () => {
  tmp = await tempDir('mailstack-queue-');
  clock = manualClock();
  spool = await openFileSpool(tmp.path, { clock: clock.now });
});
afterEach(() => tmp.cleanup());

describe('enqueue', () => {
  it('stores body byte-exact and an operator-readable meta file', async () => {
    const bytes = messageBytes(1, 10_000);
    const env = envelope([
      { address: 'a@remote.test', notify: ['FAILURE', 'DELAY'], orcpt: 'rfc822;a@remote.test' },
      'b@remote.test',
    ]);
    const id = await spool.enqueue(env, Readable.from([bytes.subarray(0, 3000), bytes.subarray(3000)]));
    expect(isQueueId(id)).toBe(true);

    const files = (await readdir(join(tmp.path, 'queue'))).sort();
    expect(files).toEqual([`${id}.eml`, `${id}.meta`]);
    expect(await readFile(join(tmp.path, 'queue', `${id}.eml`))).toEqual(bytes);
    expect(await readdir(join(tmp.path, 'tmp'))).toEqual([]);

    const meta = JSON.parse(await readFile(join(tmp.path, 'queue', `${id}.meta`), 'utf8'));
    expect(meta).toMatchObject({
      id,
      size: bytes.length,
      held: false,
      attempts: 0,
      lease: null,
      envelope: { mailFrom: 'sender@example.test', params: env.params, receivedFrom: env.receivedFrom },
      recipients: [
        {
          address: 'a@remote.test',
          notify: ['FAILURE', 'DELAY'],
          orcpt: 'rfc822;a@remote.test',
          status: 'pending',
        },
        { address: 'b@remote.test', status: 'pending' },
      ],
    });
    expect(meta.arrivedAt).toBe(new Date(clock.now()).toISOString());

    const got = await spool.get(id);
    expect(got?.envelope).toEqual(env);
    expect(await blobBytes(got!.blob)).toEqual(bytes);
  });

  it('accepts a MessageBlob and gives ids in arrival order', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++)
      ids.push(await spool.enqueue(envelope(['x@r.test']), bufferBlob(messageBytes(i))));
    expect([...ids].sort()).toEqual(ids);
    expect((await spool.list()).map((m) => m.id)).toEqual(ids);
  });

  it('refuses a body over the limit with 552 and leaves nothing behind', async () => {
    const small = await openFileSpool(tmp.path, { maxMessageBytes: 1000 });
    let read = 0;
    const chunks = function* () {
      for (let i = 0; i < 5; i++) {
        read++;
        yield Buffer.alloc(600, 97);
      }
    };
    const err = await small.enqueue(envelope(['x@r.test']), Readable.from(chunks())).catch((e) => e);
    expect(err).toBeInstanceOf(SmtpError);
    expect(err.code).toBe(552);
    // The whole body was read, so an SMTP server can answer 552 after the final dot.
    expect(read).toBe(5);
    expect(await readdir(join(tmp.path, 'queue'))).toEqual([]);
    expect(await readdir(join(tmp.path, 'tmp'))).toEqual([]);
  });

  it('refuses an envelope without recipients', async () => {
    await expect(spool.enqueue(envelope([]), bufferBlob('x'))).rejects.toMatchObject({ code: 554 });
  });

  it('leaves nothing behind when the body stream fails', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('client went away'));
      },
    });
    await expect(spool.enqueue(envelope(['x@r.test']), broken)).rejects.toThrow('client went away');
    expect(await readdir(join(tmp.path, 'queue'))).toEqual([]);
    expect(await readdir(join(tmp.path, 'tmp'))).toEqual([]);
  });
});

describe('lease and settle', () => {
  it('delivers all recipients in one cycle and removes the message', async () => {
    const id = await spool.enqueue(envelope(['a@r.test', 'b@r.test']), bufferBlob(messageBytes(2)));
    const [m, ...rest] = await spool.lease(clock.date(), { owner: 'w1', leaseMs: 60_000 });
    expect(rest).toEqual([]);
    expect(m!.id).toBe(id);
    expect(m!.lease).toEqual({ owner: 'w1', expiresAt: new Date(clock.now() + 60_000) });
    expect(deliveryEnvelope(m!).rcptTo.map((r) => r.address)).toEqual(['a@r.test', 'b@r.test']);
    // Leased: nobody else gets it.
    expect(await spool.lease(clock.date(), { owner: 'w2' })).toEqual([]);

    await spool.settle(id, [
      { recipient: 'a@r.test', reply: reply(250) },
      { recipient: 'b@r.test', reply: reply(250) },
    ]);
    expect(await spool.get(id)).toBeUndefined();
    expect(await readdir(join(tmp.path, 'queue'))).toEqual([]);
  });

  it('keeps per-recipient state through mixed results and retries only the deferred', async () => {
    const id = await spool.enqueue(
      envelope(['ok@r.test', 'later@r.test', 'bad@r.test', 'LATER2@r.test']),
      bufferBlob(messageBytes(3)),
    );
    const [m] = await spool.lease(clock.date(), { owner: 'w1' });
    await spool.settle(
      m!.id,
      [
        { recipient: 'ok@r.test', reply: reply(250, 'queued as 1') },
        { recipient: 'later@r.test', reply: reply(451, 'greylisted') },
        { recipient: 'bad@r.test', reply: reply(550, 'no such user') },
        { recipient: 'later2@r.test', reply: reply(452, 'mailbox full') },
      ],
      { owner: 'w1' },
    );
    const after = (await spool.get(id))!;
    expect(after.attempts).toBe(1);
    expect(after.lease).toBeUndefined();
    expect(
      after.recipients.map((r) => [r.recipient.address, r.status, r.failure, r.lastReply?.code]),
    ).toEqual([
      ['ok@r.test', 'delivered', undefined, 250],
      ['later@r.test', 'deferred', undefined, 451],
      ['bad@r.test', 'failed', 'rejected', 550],
      ['LATER2@r.test', 'deferred', undefined, 452],
    ]);
    expect(after.nextAttemptAt.getTime()).toBe(clock.now() + 5 * 60_000);
    expect(after.recipients[1]!.nextAttemptAt).toEqual(after.nextAttemptAt);

    // Not due yet; due at the next attempt time, with only the deferred recipients.
    expect(await spool.lease(clock.date(), { owner: 'w1' })).toEqual([]);
    clock.advance(5 * 60_000);
    const [again] = await spool.lease(clock.date(), { owner: 'w1' });
    expect(deliveryEnvelope(again!).rcptTo.map((r) => r.address)).toEqual(['later@r.test', 'LATER2@r.test']);
    await spool.settle(id, [
      { recipient: 'later@r.test', reply: reply(250) },
      { recipient: 'later2@r.test', reply: reply(250) },
    ]);
    expect(await spool.get(id)).toBeUndefined();
  });

  it('defers open recipients the worker gave no result for', async () => {
    const id = await spool.enqueue(envelope(['a@r.test', 'b@r.test']), bufferBlob('x'));
    await spool.lease(clock.date(), { owner: 'w1' });
    await spool.settle(id, [{ recipient: 'a@r.test', reply: reply(250) }]);
    const m = (await spool.get(id))!;
    expect(m.recipients[1]).toMatchObject({
      status: 'deferred',
      lastReply: { code: 451, enhanced: '4.3.0' },
    });
  });

  it('keeps a message whose target answered with a reply missing its enhanced code', async () => {
    const id = await spool.enqueue(envelope(['a@r.test']), bufferBlob('x'));
    await spool.lease(clock.date(), { owner: 'w1' });
    const partial = { code: 451, text: 'try later' } as unknown as ReturnType<typeof reply>;
    await spool.settle(id, [{ recipient: 'a@r.test', reply: partial }]);
    const reopened = await openFileSpool(tmp.path, { clock: clock.now });
    expect((await reopened.get(id))?.recipients[0]).toMatchObject({
      status: 'deferred',
      lastReply: { code: 451, enhanced: '', text: 'try later' },
    });
    expect((await reopened.list()).map((m) => m.id)).toEqual([id]);
  });

  it('lines a full result list up by position even when the hop rewrote addresses', async () => {
    const id = await spool.enqueue(envelope(['alias@r.test', 'b@r.test']), bufferBlob('x'));
    await spool.lease(clock.date(), { owner: 'w1' });
    await spool.settle(id, [
      { recipient: 'real-user@r.test', reply: reply(550) },
      { recipient: 'b@r.test', reply: reply(451) },
    ]);
    const m = (await spool.get(id))!;
    expect(m.recipients.map((r) => [r.recipient.address, r.status])).toEqual([
      ['alias@r.test', 'failed'],
      ['b@r.test', 'deferred'],
    ]);
  });

  it('leases due messages oldest first, at most max per batch', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await spool.enqueue(envelope(['a@r.test']), bufferBlob(`m${i}`)));
    const first = await spool.lease(clock.date(), { owner: 'w', max: 2 });
    const second = await spool.lease(clock.date(), { owner: 'w', max: 10 });
    expect(first.map((m) => m.id)).toEqual(ids.slice(0, 2));
    expect(second.map((m) => m.id)).toEqual(ids.slice(2));
  });
});

describe('events', () => {
  it('raises failed and NOTIFY=SUCCESS delivered events, and keeps the message until the handler succeeds', async () => {
    const events: SpoolEvent[] = [];
    let failNext = true;
    spool.onEvent(async (e) => {
      if (failNext) {
        failNext = false;
        throw new Error('DSN enqueue failed');
      }
      events.push(e);
    });
    const id = await spool.enqueue(
      envelope([{ address: 'ok@r.test', notify: ['SUCCESS'] }, 'bad@r.test']),
      bufferBlob('x'),
    );
    await spool.lease(clock.date(), { owner: 'w' });
    await spool.settle(id, [
      { recipient: 'ok@r.test', reply: reply(250) },
      { recipient: 'bad@r.test', reply: reply(550) },
    ]);
    // The first handler call failed: the message stays, with the event pending, and is never leased.
    const kept = JSON.parse(await readFile(join(tmp.path, 'queue', `${id}.meta`), 'utf8'));
    expect(kept.pendingEvents.map((e: { type: string }) => e.type)).toEqual(['failed']);
    expect(events.map((e) => e.type)).toEqual(['delivered']);
    expect(await spool.lease(clock.date(), { owner: 'w' })).toEqual([]);

    // A later scan after the back-off raises it again, then the message leaves.
    clock.advance(60_000);
    expect(await spool.lease(clock.date(), { owner: 'w' })).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['delivered', 'failed']);
    expect(events[1]!.recipients.map((r) => [r.recipient.address, r.failure])).toEqual([
      ['bad@r.test', 'rejected'],
    ]);
    expect(events[1]!.message.envelope.params.envId).toBe('env-1');
    expect(await spool.get(id)).toBeUndefined();
  });

  it('raises nothing and keeps nothing pending without a handler', async () => {
    const id = await spool.enqueue(envelope(['bad@r.test']), bufferBlob('x'));
    await spool.lease(clock.date(), { owner: 'w' });
    await spool.settle(id, [{ recipient: 'bad@r.test', reply: reply(550) }]);
    expect(await spool.get(id)).toBeUndefined();
  });
});

describe('damaged entries', () => {
  it('never lists or leases a torn meta or a meta whose body is short, and quarantines them on open', async () => {
    const good = await spool.enqueue(envelope(['a@r.test']), bufferBlob(messageBytes(5)));
    const short = await spool.enqueue(envelope(['a@r.test']), bufferBlob(messageBytes(6)));
    const torn = await spool.enqueue(envelope(['a@r.test']), bufferBlob(messageBytes(7)));
    const q = join(tmp.path, 'queue');
    const { truncate, writeFile } = await import('node:fs/promises');
    await truncate(join(q, `${short}.eml`), 10);
    const text = await readFile(join(q, `${torn}.meta`), 'utf8');
    await writeFile(join(q, `${torn}.meta`), text.slice(0, text.length / 2));

    expect((await spool.list()).map((m) => m.id)).toEqual([good, short]);
    expect((await spool.lease(clock.date(), { owner: 'w' })).map((m) => m.id)).toEqual([good]);

    const reopened = await openFileSpool(tmp.path, { clock: clock.now });
    expect((await reopened.list()).map((m) => m.id)).toEqual([good]);
    expect((await readdir(join(tmp.path, 'corrupt'))).sort()).toEqual(
      [`${short}.eml`, `${short}.meta`, `${torn}.eml`, `${torn}.meta`].sort(),
    );
  });
});

describe('enqueue from a file stream', () => {
  it('takes an fs.ReadStream as a stream, not as a blob', async () => {
    const { createReadStream } = await import('node:fs');
    const { writeFile } = await import('node:fs/promises');
    const src = join(tmp.path, 'source.eml');
    await writeFile(src, messageBytes(11, 70_000));
    const id = await spool.enqueue(envelope(['a@r.test']), createReadStream(src));
    expect(await blobBytes((await spool.get(id))!.blob)).toEqual(messageBytes(11, 70_000));
  });
});

describe('logs', () => {
  it('writes structured lines that carry agent and queueId', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = (bindings: object): Logger => {
      const at = (level: string) => (fields: object, msg?: string) =>
        lines.push({ level, ...bindings, ...fields, msg });
      return {
        info: at('info'),
        warn: at('warn'),
        error: at('error'),
        debug: at('debug'),
        child: (more) => logger({ ...bindings, ...more }),
      };
    };
    const logged = await openFileSpool(tmp.path, { clock: clock.now, logger: logger({ host: 'mx1' }) });
    const id = await logged.enqueue(envelope(['a@r.test']), bufferBlob('x'));
    await logged.lease(clock.date(), { owner: 'w' });
    await logged.settle(id, [{ recipient: 'a@r.test', reply: reply(250) }]);
    const mine = lines.filter((l) => l.queueId === id);
    expect(mine.map((l) => l.msg)).toEqual([
      'queued',
      'leased',
      'settled',
      'removed: every recipient settled',
    ]);
    for (const l of mine) expect(l).toMatchObject({ agent: 'queue', host: 'mx1' });
    expect(mine[2]).toMatchObject({ recipient: 'a@r.test', status: 'delivered', reply: { code: 250 } });
  });
});

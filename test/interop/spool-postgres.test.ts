/**
 * The PostgreSQL spool (@mailstack/spool-postgres) against Debian's PostgreSQL, started by
 * test/helpers/postgres.ts in a temp dir on a unix socket: what only a shared database can
 * show (two spools as two processes would hold them, LISTEN/NOTIFY, a dead owner's lease, the
 * body in chunks, refusals as core's typed errors). The shared Spool contract runs in
 * spool-postgres-contract.test.ts; several runner processes in spool-postgres-runners.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { bufferBlob, type Envelope, readAll, type SpoolEvent, storageRefusal } from '@mailstack/core';
import { openPostgresSpool, type PostgresSpool, spoolError } from '@mailstack/spool-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/net.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

let server: TestPostgres;
const open: PostgresSpool[] = [];
let schemas = 0;

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  for (const s of open) await s.close().catch(() => {});
  await server?.stop();
});

/** A spool in a schema of its own; `schema` shares one between two spools (two "processes"). */
async function spool(options: { schema?: string; clock?: () => number } = {}) {
  const s = await openPostgresSpool({
    url: server.url,
    schema: options.schema ?? `t${++schemas}`,
    ...options,
  });
  open.push(s);
  return s;
}

const env = (...rcpts: string[]): Envelope => ({
  mailFrom: 'sender@example.test',
  rcptTo: rcpts.map((address) => ({ address })),
  params: {},
});
const ok = { code: 250, enhanced: '2.0.0', text: 'ok' };
const later = { code: 451, enhanced: '4.4.1', text: 'try later' };
const no = { code: 550, enhanced: '5.1.1', text: 'no such user' };

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL spool', () => {
  it('keeps a body byte-exact in rows of at most 256 KiB and streams it back', async () => {
    const s = await spool();
    const body = randomBytes(3 * 256 * 1024 + 12_345);
    // Small pieces, as SMTP DATA arrives.
    const pieces = Array.from({ length: Math.ceil(body.length / 7000) }, (_, i) =>
      body.subarray(i * 7000, (i + 1) * 7000),
    );
    const id = await s.enqueue(env('a@example.test'), Readable.from(pieces));
    const rows = await sql<{ n: string; biggest: number; total: string }>(
      `SELECT count(*) AS n, max(octet_length(data)) AS biggest, sum(octet_length(data)) AS total
       FROM "${s.schema}".body_chunks WHERE message_id = $1`,
      [id],
    );
    expect(rows[0]).toEqual({ n: '4', biggest: 256 * 1024, total: String(body.length) });
    const [m] = await s.lease(new Date(), { owner: 'w1' });
    expect(m?.blob.size).toBe(body.length);
    expect((await readAll(m!.blob.open())).equals(body)).toBe(true);
    // Re-openable from byte 0.
    expect((await readAll(m!.blob.open())).equals(body)).toBe(true);
  });

  it('acknowledges an enqueue only once committed: a body that fails midway leaves nothing', async () => {
    const s = await spool();
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(300 * 1024, 'x'));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(s.enqueue(env('a@example.test'), failing)).rejects.toThrow(/client went away/);
    await expect(s.enqueue(env('a@example.test'), bufferBlob(Buffer.alloc(2000)))).resolves.toMatch(
      /^[0-9A-Z]{26}$/,
    );
    expect(await s.list()).toHaveLength(1);
    const chunks = await sql<{ n: string }>(`SELECT count(*) AS n FROM "${s.schema}".body_chunks`);
    expect(chunks[0]!.n).toBe('1');
  });

  it('refuses a body over the limit with 552 and keeps nothing of it', async () => {
    const s = await openPostgresSpool({ url: server.url, schema: `t${++schemas}`, maxMessageBytes: 1000 });
    open.push(s);
    await expect(s.enqueue(env('a@example.test'), bufferBlob(Buffer.alloc(1001)))).rejects.toMatchObject({
      code: 552,
    });
    expect(await s.list()).toEqual([]);
  });

  it('never leases one message to two spools leasing at once', async () => {
    const a = await spool();
    const b = await spool({ schema: a.schema });
    const ids = new Set<string>();
    for (let i = 0; i < 60; i++) ids.add(await a.enqueue(env(`r${i}@example.test`), bufferBlob(`m${i}`)));
    // 20 leases of at most 3 at once, 10 from each spool: 60 places for 60 messages. Every
    // message is leased exactly once only if no two leases overlap, and then each spool holds 30.
    const calls = [a, b].flatMap((s, k) =>
      Array.from({ length: 10 }, () => s.lease(new Date(), { owner: k === 0 ? 'a' : 'b', max: 3 })),
    );
    const batches = await Promise.all(calls);
    const all = batches.flat().map((m) => m.id);
    expect(all).toHaveLength(60);
    expect(new Set(all)).toEqual(ids);
    const byOwner = (o: string) => batches.flat().filter((m) => m.lease?.owner === o).length;
    expect([byOwner('a'), byOwner('b')]).toEqual([30, 30]);
  });

  it('takes over at once the lease of an owner whose connection is gone, not before', async () => {
    const a = await spool();
    const b = await spool({ schema: a.schema });
    const id = await b.enqueue(env('a@example.test'), bufferBlob('hello'));
    const [held] = await a.lease(new Date(), { owner: 'host-a:worker', leaseMs: 5 * 60_000 });
    expect(held?.id).toBe(id);
    // Owner alive: its 5-minute lease stands.
    expect(await b.lease(new Date(), { owner: 'host-b:worker' })).toEqual([]);
    // Its process dies (here: its spool closes; a kill -9 closes the connection the same way).
    await a.close();
    const [taken] = await b.lease(new Date(), { owner: 'host-b:worker' });
    expect(taken?.id).toBe(id);
    expect(taken?.lease?.owner).toBe('host-b:worker');
  });

  it('wakes another spool of the same database through LISTEN/NOTIFY', async () => {
    const a = await spool();
    const b = await spool({ schema: a.schema });
    let woken!: () => void;
    const wake = () =>
      new Promise<void>((resolve) => {
        woken = resolve;
      });
    const stop = b.onWake(() => woken());
    let next = wake();
    const id = await a.enqueue(env('a@example.test'), bufferBlob('x'));
    await next;
    next = wake();
    await a.hold(id);
    await a.release(id);
    await next;
    next = wake();
    await a.flush();
    await next;
    stop();
  });

  it('applies the settle rule: 2xx delivered, 5xx failed, 4xx deferred on the retry schedule', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const s = await spool({ clock: () => now });
    const id = await s.enqueue(env('a@example.test', 'b@example.test', 'c@example.test'), bufferBlob('x'));
    const [m] = await s.lease(new Date(now), { owner: 'w' });
    await s.settle(
      m!.id,
      [
        { recipient: 'a@example.test', reply: ok },
        { recipient: 'b@example.test', reply: no },
        { recipient: 'c@example.test', reply: later },
      ],
      { owner: 'w' },
    );
    const after = await s.get(id);
    expect(after?.recipients.map((r) => r.status)).toEqual(['delivered', 'failed', 'deferred']);
    expect(after?.recipients[1]?.failure).toBe('rejected');
    // RFC 5321 schedule of the queue package: the first retry 5 minutes later.
    expect(after?.nextAttemptAt.getTime()).toBe(now + 5 * 60_000);
    expect(after?.lease).toBeUndefined();
    expect(await s.lease(new Date(now + 4 * 60_000), { owner: 'w' })).toEqual([]);
    now += 5 * 60_000;
    const [again] = await s.lease(new Date(now), { owner: 'w' });
    expect(again?.recipients.filter((r) => r.status === 'deferred').map((r) => r.recipient.address)).toEqual([
      'c@example.test',
    ]);
    await s.settle(id, [{ recipient: 'c@example.test', reply: ok }], { owner: 'w' });
    expect(await s.get(id)).toBeUndefined();
    expect(await sql(`SELECT * FROM "${s.schema}".body_chunks`)).toEqual([]);
  });

  it('keeps only final results from a worker whose lease passed to another', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const a = await spool({ clock: () => now });
    const b = await spool({ schema: a.schema, clock: () => now });
    const id = await a.enqueue(env('x@example.test', 'y@example.test'), bufferBlob('x'));
    await a.lease(new Date(now), { owner: 'slow', leaseMs: 1000 });
    now += 2000;
    const [m] = await b.lease(new Date(now), { owner: 'fast', leaseMs: 60_000 });
    expect(m?.id).toBe(id);
    await a.settle(
      id,
      [
        { recipient: 'x@example.test', reply: ok },
        { recipient: 'y@example.test', reply: later },
      ],
      { owner: 'slow' },
    );
    const mid = await a.get(id);
    expect(mid?.recipients.map((r) => r.status)).toEqual(['delivered', 'pending']);
    expect(mid?.lease?.owner).toBe('fast');
    await b.settle(id, [{ recipient: 'y@example.test', reply: ok }], { owner: 'fast' });
    expect(await a.get(id)).toBeUndefined();
  });

  it('raises events at least once and retries a handler that rejected', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const s = await spool({ clock: () => now });
    const seen: SpoolEvent['type'][] = [];
    let fail = true;
    s.onEvent((e) => {
      seen.push(e.type);
      if (fail) throw new Error('DSN queue down');
    });
    const id = await s.enqueue(env('gone@example.test'), bufferBlob('x'));
    await s.lease(new Date(now), { owner: 'w' });
    await s.settle(id, [{ recipient: 'gone@example.test', reply: no }], { owner: 'w' });
    expect(seen).toEqual(['failed']);
    // Kept until its event is confirmed.
    expect((await s.get(id))?.recipients[0]?.status).toBe('failed');
    now += 30_000;
    await s.lease(new Date(now), { owner: 'w' });
    expect(seen).toEqual(['failed']);
    fail = false;
    now += 60_000;
    await s.lease(new Date(now), { owner: 'w' });
    expect(seen).toEqual(['failed', 'failed']);
    expect(await s.get(id)).toBeUndefined();
  });

  it('lets an operator hold, release, flush, requeue and delete', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const s = await spool({ clock: () => now });
    const id = await s.enqueue(env('a@example.test'), bufferBlob('x'));
    expect(await s.hold(id)).toBe(true);
    expect(await s.lease(new Date(now), { owner: 'w' })).toEqual([]);
    expect(await s.flush()).toBe(0);
    expect(await s.release(id)).toBe(true);
    const [m] = await s.lease(new Date(now), { owner: 'w' });
    await s.settle(m!.id, [{ recipient: 'a@example.test', reply: later }], { owner: 'w' });
    expect(await s.lease(new Date(now), { owner: 'w' })).toEqual([]);
    expect(await s.flush(id)).toBe(1);
    expect((await s.lease(new Date(now), { owner: 'w' })).map((x) => x.id)).toEqual([id]);
    now += 1000;
    expect(await s.requeue(id)).toBe(true);
    const fresh = await s.get(id);
    expect(fresh?.lease).toBeUndefined();
    expect(fresh?.recipients[0]?.status).toBe('pending');
    expect(await s.delete(id)).toBe(true);
    expect(await s.delete(id)).toBe(false);
    expect(await s.hold(id)).toBe(false);
    expect(await s.get('not-an-id')).toBeUndefined();
  });

  it('renews only a lease the owner still holds', async () => {
    const s = await spool();
    const id = await s.enqueue(env('a@example.test'), bufferBlob('x'));
    await s.lease(new Date(), { owner: 'w', leaseMs: 1000 });
    expect(await s.renew(id, { owner: 'w', leaseMs: 60_000 })).toBe(true);
    expect((await s.get(id))?.lease?.expiresAt.getTime()).toBeGreaterThan(Date.now() + 30_000);
    expect(await s.renew(id, { owner: 'other', leaseMs: 60_000 })).toBe(false);
  });

  it('creates its schema once, also when several processes open it at once', async () => {
    const schema = `t${++schemas}`;
    const spools = await Promise.all([1, 2, 3].map(() => spool({ schema })));
    expect(await sql(`SELECT version FROM "${schema}".schema_version`)).toEqual([{ version: 1 }]);
    const id = await spools[0]!.enqueue(env('a@example.test'), bufferBlob('x'));
    expect((await spools[2]!.get(id))?.id).toBe(id);
  });

  it('refuses an enqueue whose connection is cut midway as temporary, and takes the next one', async () => {
    const s = await spool();
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(300 * 1024, 'x'));
    const pending = s.enqueue(env('a@example.test'), body).catch((e: unknown) => e);
    // Its first chunk is written; the transaction waits for the rest of the body.
    const idle = `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()`;
    await waitFor('the enqueue transaction', async () => (await sql(idle)).length === 1);
    await sql(`SELECT pg_terminate_backend(pid) FROM (${idle}) AS t`);
    body.push(Buffer.alloc(1000, 'y'));
    body.push(null);
    expect(storageRefusal(await pending)).toBe('temporary');
    expect(await s.list()).toEqual([]);
    const id = await s.enqueue(env('a@example.test'), bufferBlob('x'));
    expect((await s.get(id))?.blob.size).toBe(1);
  });

  it('refuses with core’s typed errors: temporary when the database is unreachable, no-space for a full disk', async () => {
    const nowhere = `postgresql://mailstack@localhost/postgres?host=${encodeURIComponent(`${server.socketDir}/none`)}`;
    const err = await openPostgresSpool({ url: nowhere }).catch((e: unknown) => e);
    expect(storageRefusal(err)).toBe('temporary');
    const full = spoolError(Object.assign(new Error('could not extend file'), { code: '53100' }));
    expect(storageRefusal(full)).toBe('no-space');
    expect(full).toMatchObject({ code: 452, enhanced: '4.3.1' });
    const bug = new Error('syntax error');
    expect(spoolError(Object.assign(bug, { code: '42601' }))).toBe(bug);
  });
});

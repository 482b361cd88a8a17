import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  type Envelope,
  type LeaseOptions,
  type Logger,
  type MessageBlob,
  type MetricsSink,
  noMetrics,
  type QueuedMessage,
  type QueueId,
  type RecipientResult,
  type SettleOptions,
  SmtpError,
  type Spool,
  type SpoolEventHandler,
  type SpoolOperations,
  silentLogger,
} from '@mailstack/core';
import {
  isQueueId,
  newRecord,
  type PendingEvent,
  queuedMessage,
  queueIdGenerator,
  type RetryPolicy,
  raiseDueEvents,
  reportSettle,
  requeueRecord,
  retryPolicy,
  type SpoolOptions,
  type SpoolRecord,
  settleRecord,
} from '@mailstack/queue';
import pg from 'pg';
import { chunkBlob, writeBody } from './body.ts';
import { spoolError } from './errors.ts';
import {
  byMessage,
  type EventRow,
  type MessageRow,
  type RecipientRow,
  recipientsJson,
  toRecord,
} from './rows.ts';
import { migrate, schemaKey } from './schema.ts';
import { SpoolSession } from './session.ts';
import { type Statements, statements } from './sql.ts';

export interface PostgresSpoolOptions extends SpoolOptions {
  /** A connection string (`postgres://user@host/db`, `postgresql:///db?host=/run/postgresql`). */
  url?: string;
  /** Or a pool the caller owns (then `close()` leaves it open). One of `url` and `pool` is needed. */
  pool?: pg.Pool;
  /** The PostgreSQL schema holding the spool's tables (default `mailstack_spool`). */
  schema?: string;
  /** Connections of the pool made from `url` (default 10); each enqueue holds one while its body streams in. */
  maxConnections?: number;
}

/**
 * How long a process that is raising an event keeps it from the others: should it die while
 * its handler runs, another process raises the event after this long.
 */
const EVENT_CLAIM_MS = 60_000;

type Tx = pg.PoolClient;

/**
 * The mail spool on PostgreSQL (schema.ts has the tables). Any number of processes, on any
 * number of hosts, may share one database:
 *
 * - enqueue writes the message, its recipients and its body (streamed in 256 KiB bytea rows)
 *   in one transaction with synchronous_commit on, and resolves only after COMMIT;
 * - lease takes due rows with `FOR UPDATE SKIP LOCKED`, so two leasers never get one message;
 *   a lease whose owner's connection is gone (its advisory lock dropped) is void at once;
 * - settle applies the queue package's settle rule (transitions.ts) to the row under
 *   `FOR UPDATE`, writes the recipients' state and the events it raised, in one transaction;
 * - enqueue, flush, release and requeue NOTIFY in their transaction; every open spool LISTENs.
 */
export class PostgresSpool implements Spool, SpoolOperations {
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly sql: Statements;
  private readonly lockKey: number;
  private readonly channel: string;
  private readonly instance = randomBytes(8).toString('hex');
  private readonly policy: RetryPolicy;
  private readonly clock: () => number;
  private readonly log: Logger;
  private readonly metrics: MetricsSink;
  private readonly maxBytes: number;
  private readonly defaultLeaseMs: number;
  private readonly nextId: () => QueueId;
  private readonly handlers = new Set<SpoolEventHandler>();
  private readonly wakeListeners = new Set<() => void>();
  private readonly session: SpoolSession;

  constructor(options: PostgresSpoolOptions) {
    if (!options.pool && !options.url) throw new TypeError('openPostgresSpool needs a url or a pool');
    this.schema = options.schema ?? 'mailstack_spool';
    this.sql = statements(this.schema);
    this.lockKey = schemaKey(this.schema);
    this.channel = `"${this.schema}_wake"`;
    this.ownsPool = !options.pool;
    this.log = (options.logger ?? silentLogger).child({ agent: 'queue' });
    this.pool =
      options.pool ??
      new pg.Pool({
        connectionString: options.url,
        max: options.maxConnections ?? 10,
        connectionTimeoutMillis: 10_000,
      });
    // An idle connection that breaks must not crash the process; the next query reconnects.
    this.pool.on('error', (err) =>
      this.log.warn(
        { event: 'spool-watch-failed', dir: this.schema, err: String(err) },
        'idle spool connection lost',
      ),
    );
    this.policy = retryPolicy(options.retry);
    this.clock = options.clock ?? Date.now;
    this.metrics = options.metrics ?? noMetrics;
    this.maxBytes = options.maxMessageBytes ?? 100 * 1024 * 1024;
    this.defaultLeaseMs = options.defaultLeaseMs ?? 5 * 60_000;
    this.nextId = queueIdGenerator(this.clock);
    this.session = new SpoolSession({
      pool: this.pool,
      channel: this.channel,
      lockKey: this.lockKey,
      statements: this.sql,
      onNotify: (from) => {
        if (from !== this.instance) this.wake();
      },
      log: this.log,
    });
  }

  /**
   * Creates or migrates the schema and starts listening for other processes' wake-ups (from
   * here on, none is missed while the connection lasts).
   */
  async open(): Promise<this> {
    const client = await this.pool.connect().catch((err) => {
      throw spoolError(err);
    });
    try {
      await migrate(client, this.schema);
    } catch (err) {
      throw spoolError(err);
    } finally {
      client.release();
    }
    try {
      await this.session.startListening();
    } catch (err) {
      await this.close().catch(() => {});
      throw spoolError(err);
    }
    return this;
  }

  /** Ends the session (this process's lease owners count as gone from now on) and a pool made from `url`. */
  async close(): Promise<void> {
    this.wakeListeners.clear();
    await this.session.close();
    if (this.ownsPool) await this.pool.end();
  }

  // ---- Spool -------------------------------------------------------------------------------

  async enqueue(envelope: Envelope, body: Readable | MessageBlob): Promise<QueueId> {
    if (envelope.rcptTo.length === 0) throw new SmtpError(554, '5.5.1', 'No valid recipients');
    const id = this.nextId();
    const now = this.clock();
    // A stream has pipe(); a blob has open() (so does fs.ReadStream, hence this order).
    const stream =
      typeof (body as Readable).pipe === 'function' ? (body as Readable) : (body as MessageBlob).open();
    const rec = newRecord(id, envelope, 0, now);
    let size: number;
    try {
      size = await this.transaction('durable', async (tx) => {
        const at = new Date(now);
        await tx.query(this.sql.insertMessage, [
          id,
          at,
          rec.mailFrom,
          rec.params,
          rec.receivedFrom ?? null,
          rec.recipients.length,
        ]);
        await tx.query(this.sql.insertRecipients, [id, recipientsJson(rec)]);
        const written = await writeBody(tx, this.sql.chunks, id, stream, this.maxBytes);
        await tx.query(this.sql.setSize, [id, written]);
        await this.notify(tx);
        return written;
      });
    } catch (err) {
      this.log.warn({ event: 'enqueue-failed', queueId: id, err: String(err) }, 'enqueue failed');
      throw err;
    }
    this.log.info(
      { event: 'queued', queueId: id, from: envelope.mailFrom, rcpts: envelope.rcptTo.length, size },
      'queued',
    );
    this.wake();
    return id;
  }

  async lease(now: Date, options: LeaseOptions): Promise<QueuedMessage[]> {
    const at = now.getTime();
    const max = options.max ?? 16;
    const leaseMs = options.leaseMs ?? this.defaultLeaseMs;
    try {
      await this.session.registerOwner(options.owner);
    } catch (err) {
      throw spoolError(err);
    }
    const rows = await this.transaction('relaxed', async (tx) => {
      const leased = await tx.query<MessageRow & { old_owner: string | null; old_expiry: Date | null }>(
        this.sql.lease,
        [now, max, options.owner, new Date(at + leaseMs), this.lockKey],
      );
      const ids = leased.rows.map((m) => m.id);
      const recipients =
        ids.length > 0 ? await tx.query<RecipientRow>(this.sql.recipientsOf, [ids]) : { rows: [] };
      return { messages: leased.rows, recipients: byMessage(recipients.rows) };
    });
    const out: QueuedMessage[] = [];
    for (const m of rows.messages.sort((a, b) => (a.id < b.id ? -1 : 1))) {
      if (m.old_owner !== null && m.old_expiry !== null && m.old_expiry.getTime() > at) {
        this.log.warn(
          { event: 'lease-reclaimed', queueId: m.id, holder: m.old_owner },
          'lease of a process that is gone taken back',
        );
      }
      const rec = toRecord(m, rows.recipients.get(m.id) ?? []);
      this.log.debug(
        { event: 'leased', queueId: m.id, owner: options.owner, attempt: rec.attempts + 1 },
        'leased',
      );
      out.push(this.message(rec));
    }
    if (this.handlers.size > 0) await this.dispatchDue(at).catch(() => {});
    return out;
  }

  async settle(id: QueueId, results: RecipientResult[], options: SettleOptions = {}): Promise<void> {
    const now = this.clock();
    const trackEvents = this.handlers.size > 0;
    const done = await this.transaction('durable', async (tx) => {
      const rec = await this.lockRecord(tx, id);
      if (!rec) return undefined;
      const outcome = settleRecord(rec, results, now, this.policy, { owner: options.owner, trackEvents });
      const { stale } = outcome;
      await this.writeRecord(tx, rec);
      const events: EventRow[] = [];
      // Claimed by this process from the start: it raises them right after COMMIT.
      for (const e of rec.pendingEvents) {
        const row = await tx.query<EventRow>(this.sql.insertEvent, [
          id,
          e.type,
          e.recipients,
          new Date(now + EVENT_CLAIM_MS),
        ]);
        events.push(row.rows[0]!);
      }
      const removed = (await tx.query(this.sql.removeFinished, [[id]])).rowCount! > 0;
      return { rec, outcome, stale, events, removed };
    });
    const log = this.log.child({ queueId: id });
    if (!done) {
      log.warn({ event: 'settle-not-queued' }, 'settle for a message no longer queued');
      return;
    }
    reportSettle(log, this.metrics, { ...done, now, owner: options.owner });
    if (done.removed) log.info({ event: 'dequeued' }, 'removed: every recipient settled');
    if (done.events.length > 0) {
      await this.raise(done.events, new Map([[id, this.message(done.rec)]]), now);
    }
  }

  async renew(id: QueueId, options: { owner: string; leaseMs: number }): Promise<boolean> {
    const until = new Date(this.clock() + options.leaseMs);
    const res = await this.query(this.sql.renew, [id, options.owner, until]);
    return (res.rowCount ?? 0) > 0;
  }

  onEvent(handler: SpoolEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /**
   * Wake-ups from this process at once, and from every other process sharing the database
   * through LISTEN/NOTIFY (the NOTIFY is sent in the transaction of the enqueue, flush, release
   * or requeue, so it arrives only once the change is visible).
   */
  onWake(listener: () => void): () => void {
    this.wakeListeners.add(listener);
    return () => {
      this.wakeListeners.delete(listener);
    };
  }

  private wake(): void {
    for (const l of this.wakeListeners) l();
  }

  private async notify(tx: Tx): Promise<void> {
    await tx.query('SELECT pg_notify($1, $2)', [this.channel.replaceAll('"', ''), this.instance]);
  }

  // ---- SpoolOperations ---------------------------------------------------------------------

  async list(): Promise<QueuedMessage[]> {
    const { messages, recipients } = await this.transaction('relaxed', async (tx) => {
      // One snapshot for both reads.
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const messages = await tx.query<MessageRow>(this.sql.allMessages);
      const recipients = await tx.query<RecipientRow>(this.sql.allRecipients);
      return { messages: messages.rows, recipients: byMessage(recipients.rows) };
    });
    return messages.map((m) => this.message(toRecord(m, recipients.get(m.id) ?? [])));
  }

  async get(id: QueueId): Promise<QueuedMessage | undefined> {
    if (!isQueueId(id)) return undefined;
    const rec = await this.transaction('relaxed', (tx) => this.loadRecord(tx, id, false));
    return rec ? this.message(rec) : undefined;
  }

  async flush(id?: QueueId): Promise<number> {
    if (id !== undefined && !isQueueId(id)) return 0;
    const at = new Date(this.clock());
    const ids = await this.transaction('durable', async (tx) => {
      const flushed = (await tx.query<{ id: string }>(this.sql.flush, [at, id ?? null])).rows.map(
        (r) => r.id,
      );
      if (flushed.length > 0) {
        await tx.query(this.sql.flushEvents, [at, flushed]);
        await this.notify(tx);
      }
      return flushed;
    });
    if (ids.length > 0) this.wake();
    return ids.length;
  }

  hold(id: QueueId): Promise<boolean> {
    return this.mutate(id, false, (rec) => {
      rec.held = true;
    });
  }

  release(id: QueueId): Promise<boolean> {
    return this.mutate(id, true, (rec) => {
      rec.held = false;
    });
  }

  requeue(id: QueueId): Promise<boolean> {
    const now = this.clock();
    return this.mutate(id, true, (rec) => requeueRecord(rec, now));
  }

  async delete(id: QueueId): Promise<boolean> {
    if (!isQueueId(id)) return false;
    const res = await this.query(this.sql.delete, [id]);
    const deleted = (res.rowCount ?? 0) > 0;
    if (deleted) this.log.info({ event: 'dequeued', queueId: id }, 'deleted');
    return deleted;
  }

  // ---- internals ---------------------------------------------------------------------------

  private message(rec: SpoolRecord): QueuedMessage {
    return queuedMessage(rec, chunkBlob(this.pool, this.sql.chunks, rec.id, rec.size));
  }

  /**
   * Runs `work` in a transaction and commits. 'durable' waits for the commit to be flushed to
   * disk (synchronous_commit on, whatever the server's default); 'relaxed' does not (a lease or
   * a read: losing it in a crash only means a message is offered again).
   */
  private async transaction<T>(mode: 'durable' | 'relaxed', work: (tx: Tx) => Promise<T>): Promise<T> {
    let tx: Tx;
    try {
      tx = await this.pool.connect();
    } catch (err) {
      throw spoolError(err);
    }
    let broken: Error | undefined;
    // A connection lost while checked out is reported on the client: without a listener that
    // would crash the process. The query in progress (or the next one) fails with it anyway.
    const lost = (err: Error) => {
      broken = err;
    };
    tx.on('error', lost);
    try {
      await tx.query(`BEGIN; SET LOCAL synchronous_commit = ${mode === 'durable' ? 'on' : 'off'}`);
      const result = await work(tx);
      await tx.query('COMMIT');
      return result;
    } catch (err) {
      await tx.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw spoolError(err);
    } finally {
      tx.off('error', lost);
      tx.release(broken);
    }
  }

  private async query(text: string, values: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.pool.query(text, values);
    } catch (err) {
      throw spoolError(err);
    }
  }

  private async loadRecord(tx: Tx, id: string, forUpdate: boolean): Promise<SpoolRecord | undefined> {
    const m = await tx.query<MessageRow>(forUpdate ? this.sql.messageForUpdate : this.sql.message, [id]);
    const row = m.rows[0];
    if (!row) return undefined;
    const r = await tx.query<RecipientRow>(this.sql.recipientsOf, [[id]]);
    return toRecord(row, r.rows);
  }

  private lockRecord(tx: Tx, id: string): Promise<SpoolRecord | undefined> {
    return this.loadRecord(tx, id, true);
  }

  private async writeRecord(tx: Tx, rec: SpoolRecord): Promise<void> {
    await tx.query(this.sql.updateMessage, [
      rec.id,
      rec.attempts,
      new Date(rec.nextAttemptAt),
      rec.held,
      rec.recipients.filter((r) => r.status === 'pending' || r.status === 'deferred').length,
      rec.lease?.owner ?? null,
      rec.lease ? new Date(rec.lease.expiresAt) : null,
    ]);
    await tx.query(this.sql.updateRecipients, [rec.id, recipientsJson(rec)]);
  }

  /** An operator change under the row lock; `wakes` sends a wake-up with it. */
  private async mutate(id: QueueId, wakes: boolean, change: (rec: SpoolRecord) => void): Promise<boolean> {
    if (!isQueueId(id)) return false;
    const found = await this.transaction('durable', async (tx) => {
      const rec = await this.lockRecord(tx, id);
      if (!rec) return false;
      change(rec);
      await this.writeRecord(tx, rec);
      if (wakes) await this.notify(tx);
      return true;
    });
    if (found && wakes) this.wake();
    return found;
  }

  /** Raises the events left pending by a failed handler or a crash, claiming them first. */
  private async dispatchDue(at: number): Promise<void> {
    const claimed = await this.transaction('relaxed', async (tx) => {
      const events = (
        await tx.query<EventRow>(this.sql.claimEvents, [new Date(at), new Date(at + EVENT_CLAIM_MS)])
      ).rows;
      if (events.length === 0) return { events, messages: new Map<string, QueuedMessage>() };
      const ids = [...new Set(events.map((e) => e.message_id))];
      const ms = await tx.query<MessageRow>(this.sql.messagesIn, [ids]);
      const rs = byMessage((await tx.query<RecipientRow>(this.sql.recipientsOf, [ids])).rows);
      const messages = new Map(ms.rows.map((m) => [m.id, this.message(toRecord(m, rs.get(m.id) ?? []))]));
      return { events, messages };
    });
    if (claimed.events.length > 0) await this.raise(claimed.events, claimed.messages, at);
  }

  /**
   * Calls the handlers for each event, then in one transaction forgets the confirmed ones,
   * schedules the failed ones again (eventRetryAt's back-off) and removes messages with
   * nothing left to do.
   */
  private async raise(events: EventRow[], messages: Map<string, QueuedMessage>, now: number): Promise<void> {
    const confirmed: string[] = [];
    const failed: { seq: string; tries: number; at: Date }[] = [];
    for (const [id, message] of messages) {
      // The queue package's raiseDueEvents, over this message's claimed events (due now).
      const seqs = new Map<PendingEvent, string>();
      const rec = { pendingEvents: [] as PendingEvent[] } as SpoolRecord;
      for (const e of events.filter((row) => row.message_id === id)) {
        const pending = { type: e.type, recipients: e.recipients, tries: e.tries, nextTryAt: now };
        seqs.set(pending, e.seq);
        rec.pendingEvents.push(pending);
      }
      await raiseDueEvents(rec, message, this.handlers, now, (pending, err) => {
        this.log.error(
          { event: 'event-handler-failed', queueId: id, kind: pending.type, err: String(err) },
          'event handler failed',
        );
      });
      const left = new Set(rec.pendingEvents);
      for (const [pending, seq] of seqs) {
        if (!left.has(pending)) confirmed.push(seq);
        else failed.push({ seq, tries: pending.tries, at: new Date(pending.nextTryAt) });
      }
    }
    const removed = await this.transaction('durable', async (tx) => {
      if (confirmed.length > 0) await tx.query(this.sql.confirmEvents, [confirmed]);
      for (const f of failed) await tx.query(this.sql.retryEvent, [f.seq, f.tries, f.at]);
      const ids = [...new Set(events.map((e) => e.message_id))];
      return (await tx.query<{ id: string }>(this.sql.removeFinished, [ids])).rows;
    });
    for (const { id } of removed) this.log.info({ event: 'dequeued', queueId: id }, 'removed: events raised');
  }
}

/** Connects, creates or migrates the schema, and returns the spool. */
export function openPostgresSpool(options: PostgresSpoolOptions): Promise<PostgresSpool> {
  return new PostgresSpool(options).open();
}

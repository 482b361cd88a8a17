import type { Readable } from 'node:stream';
import {
  bufferBlob,
  type Envelope,
  type LeaseOptions,
  type MessageBlob,
  type QueuedMessage,
  type QueueId,
  type RecipientResult,
  type SettleOptions,
  SmtpError,
  type Spool,
  type SpoolEventHandler,
  type SpoolOperations,
} from '@mailstack/core';
import type { FileSpoolOptions } from './file-spool.ts';
import { queueIdGenerator } from './queue-id.ts';
import { queuedMessage } from './queued-message.ts';
import { newRecord, type SpoolRecord } from './record.ts';
import { type RetryPolicy, retryPolicy } from './retry-policy.ts';
import { raiseDueEvents } from './spool-events.ts';
import { flushRecord, isDue, isFinished, requeueRecord, settleRecord } from './transitions.ts';

/** The file spool's options that mean something in memory, with the same defaults. */
export type MemorySpoolOptions = Pick<
  FileSpoolOptions,
  'retry' | 'clock' | 'maxMessageBytes' | 'defaultLeaseMs'
>;

/** What every instance over one storage shares: the entries, and who listens for wake-ups. */
interface Storage {
  records: Map<QueueId, SpoolRecord>;
  bodies: Map<QueueId, Buffer>;
  /** Entries being changed; a lease scan skips them, a change waits its turn. */
  locks: Map<QueueId, Promise<void>>;
  instances: Set<MemorySpoolInstance>;
  nextId: () => QueueId;
}

/**
 * The spool seam in memory, for tests about protocols rather than disks (and an embedder that
 * wants no durability): the file spool's state machine (retry schedule, settle rules, event
 * retries) over two Maps.
 * `reopen()` gives another instance over the same entries, as a second process or a restart
 * would see them; wake-ups reach every instance.
 */
export interface MemorySpool extends Spool, SpoolOperations {
  reopen(): MemorySpool;
}

export function memorySpool(options: MemorySpoolOptions = {}): MemorySpool {
  const clock = options.clock ?? Date.now;
  const storage: Storage = {
    records: new Map(),
    bodies: new Map(),
    locks: new Map(),
    instances: new Set(),
    nextId: queueIdGenerator(clock),
  };
  return new MemorySpoolInstance(storage, options);
}

class MemorySpoolInstance implements MemorySpool {
  readonly #storage: Storage;
  readonly #options: MemorySpoolOptions;
  readonly #policy: RetryPolicy;
  readonly #clock: () => number;
  readonly #maxBytes: number;
  readonly #defaultLeaseMs: number;
  readonly #handlers = new Set<SpoolEventHandler>();
  readonly #wakeListeners = new Set<() => void>();

  constructor(storage: Storage, options: MemorySpoolOptions) {
    this.#storage = storage;
    this.#options = options;
    this.#policy = retryPolicy(options.retry);
    this.#clock = options.clock ?? Date.now;
    this.#maxBytes = options.maxMessageBytes ?? 100 * 1024 * 1024;
    this.#defaultLeaseMs = options.defaultLeaseMs ?? 5 * 60_000;
    storage.instances.add(this);
  }

  reopen(): MemorySpool {
    return new MemorySpoolInstance(this.#storage, this.#options);
  }

  // ---- Spool -------------------------------------------------------------------------------

  async enqueue(envelope: Envelope, body: Readable | MessageBlob): Promise<QueueId> {
    if (envelope.rcptTo.length === 0) throw new SmtpError(554, '5.5.1', 'No valid recipients');
    // A stream has pipe(); a blob has open() (so does fs.ReadStream, hence this order).
    const stream =
      typeof (body as Readable).pipe === 'function' ? (body as Readable) : (body as MessageBlob).open();
    const bytes = await readBounded(stream, this.#maxBytes);
    const id = this.#storage.nextId();
    this.#storage.bodies.set(id, bytes);
    this.#storage.records.set(id, newRecord(id, envelope, bytes.length, this.#clock()));
    this.#wakeAll();
    return id;
  }

  async lease(now: Date, options: LeaseOptions): Promise<QueuedMessage[]> {
    const at = now.getTime();
    const max = options.max ?? 16;
    const leaseMs = options.leaseMs ?? this.#defaultLeaseMs;
    const out: QueuedMessage[] = [];
    const eventsDue: QueueId[] = [];
    for (const id of [...this.#storage.records.keys()].sort()) {
      const rec = this.#storage.records.get(id);
      if (!rec || this.#storage.locks.has(id)) continue;
      if (this.#handlers.size > 0 && rec.pendingEvents.some((e) => e.nextTryAt <= at)) eventsDue.push(id);
      if (out.length < max && isDue(rec, at)) {
        // Taken before any await: no other lease call can see it free meanwhile.
        rec.lease = { owner: options.owner, expiresAt: at + leaseMs };
        out.push(this.#message(rec));
      }
    }
    for (const id of eventsDue) {
      await this.#change(id, async (rec) => {
        await this.#raise(rec, at);
        return true;
      });
    }
    return out;
  }

  async settle(id: QueueId, results: RecipientResult[], options: SettleOptions = {}): Promise<void> {
    const now = this.#clock();
    await this.#change(id, async (rec) => {
      settleRecord(rec, results, now, this.#policy, {
        owner: options.owner,
        trackEvents: this.#handlers.size > 0,
      });
      await this.#raise(rec, now);
      return true;
    });
  }

  async renew(id: QueueId, options: { owner: string; leaseMs: number }): Promise<boolean> {
    const now = this.#clock();
    return this.#change(id, (rec) => {
      if (rec.lease?.owner !== options.owner) return false;
      rec.lease = { owner: options.owner, expiresAt: now + options.leaseMs };
      return true;
    });
  }

  onEvent(handler: SpoolEventHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  onWake(listener: () => void): () => void {
    this.#wakeListeners.add(listener);
    return () => this.#wakeListeners.delete(listener);
  }

  // ---- SpoolOperations ---------------------------------------------------------------------

  async list(): Promise<QueuedMessage[]> {
    const ids = [...this.#storage.records.keys()].sort();
    return ids.map((id) => this.#message(this.#storage.records.get(id)!));
  }

  async get(id: QueueId): Promise<QueuedMessage | undefined> {
    const rec = this.#storage.records.get(id);
    return rec ? this.#message(rec) : undefined;
  }

  async flush(id?: QueueId): Promise<number> {
    const now = this.#clock();
    const ids = id === undefined ? [...this.#storage.records.keys()].sort() : [id];
    let count = 0;
    for (const one of ids) if (await this.#change(one, (rec) => flushRecord(rec, now))) count++;
    if (count > 0) this.#wakeAll();
    return count;
  }

  hold(id: QueueId): Promise<boolean> {
    return this.#change(id, (rec) => {
      rec.held = true;
      return true;
    });
  }

  async release(id: QueueId): Promise<boolean> {
    const ok = await this.#change(id, (rec) => {
      rec.held = false;
      return true;
    });
    if (ok) this.#wakeAll();
    return ok;
  }

  async requeue(id: QueueId): Promise<boolean> {
    const now = this.#clock();
    const ok = await this.#change(id, (rec) => {
      requeueRecord(rec, now);
      return true;
    });
    if (ok) this.#wakeAll();
    return ok;
  }

  delete(id: QueueId): Promise<boolean> {
    return this.#change(id, (rec) => {
      this.#remove(rec.id);
      return true;
    });
  }

  // ---- internals ---------------------------------------------------------------------------

  #message(rec: SpoolRecord): QueuedMessage {
    return queuedMessage(rec, bufferBlob(this.#storage.bodies.get(rec.id) ?? Buffer.alloc(0), rec.id));
  }

  #raise(rec: SpoolRecord, now: number): Promise<void> {
    return raiseDueEvents(rec, this.#message(rec), this.#handlers, now, () => {});
  }

  #remove(id: QueueId): void {
    this.#storage.records.delete(id);
    this.#storage.bodies.delete(id);
  }

  /**
   * Runs `change` on entry `id` once no other change to it is running; removes the entry when
   * nothing is left to deliver or tell. False when there is no such entry.
   */
  async #change(id: QueueId, change: (rec: SpoolRecord) => boolean | Promise<boolean>): Promise<boolean> {
    const { locks, records } = this.#storage;
    const before = locks.get(id);
    let done = () => {};
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    const turn = (before ?? Promise.resolve()).then(() => mine);
    locks.set(id, turn);
    await before;
    try {
      const rec = records.get(id);
      if (!rec) return false;
      const result = await change(rec);
      if (records.has(id) && isFinished(rec)) this.#remove(id);
      return result;
    } finally {
      done();
      if (locks.get(id) === turn) locks.delete(id);
    }
  }

  #wakeAll(): void {
    for (const instance of this.#storage.instances) instance.#wake();
  }

  #wake(): void {
    for (const listener of [...this.#wakeListeners]) listener();
  }
}

/** The whole stream as one Buffer; past `maxBytes` it reads on (an SMTP server must take the rest of DATA) and refuses with 552. */
async function readBounded(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    size += buf.length;
    if (size <= maxBytes) chunks.push(buf);
  }
  if (size > maxBytes) throw new SmtpError(552, '5.3.4', 'Message too big for the queue');
  return Buffer.concat(chunks);
}

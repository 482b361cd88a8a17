import { mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
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
import { DirSync, storageError, syncDir } from './durable-fs.ts';
import { EntryIndex } from './entry-index.ts';
import {
  EntryLocks,
  FOREIGN_TEMP_AGE_MS,
  isLockName,
  type LockedEntry,
  lockNameId,
  tempNameState,
} from './entry-lock.ts';
import { writeEntry } from './entry-writer.ts';
import { leaseOwnerGone } from './lease-owner.ts';
import { formatMeta, MetaFormatError, parseMeta } from './meta-file.ts';
import { isQueueId, queueIdGenerator } from './queue-id.ts';
import { fileBlob, queuedMessage } from './queued-message.ts';
import type { SpoolRecord } from './record.ts';
import { type RetryPolicy, retryPolicy, type SpoolOptions } from './retry-policy.ts';
import { reportSettle } from './settle-report.ts';
import { raiseDueEvents } from './spool-events.ts';
import { SpoolWatcher } from './spool-watch.ts';
import {
  flushRecord,
  isDue,
  isFinished,
  isLeasedAt,
  requeueRecord,
  settleRecord,
  wantedAt,
} from './transitions.ts';

export interface FileSpoolOptions extends SpoolOptions {
  /** Share one directory fsync among concurrent enqueues (default true). */
  groupCommit?: boolean;
  /** How long an operation waits for an entry another process holds (default 10 s). */
  lockWaitMs?: number;
  /** Run the crash clean-up in `open()` (default true; read-only tools turn it off). */
  recoverOnOpen?: boolean;
}

/**
 * Bodies move into the queue a moment before their meta, after their last write; one without a
 * meta whose last write is this old is a crash leftover.
 */
const ORPHAN_BODY_AGE_MS = 60_000;

/**
 * The file-backed spool. One directory, readable by an operator:
 *
 *   queue/<id>.meta   JSON: envelope, per-recipient state, attempts, next attempt, lease
 *   queue/<id>.eml    the body, byte-exact as received, never rewritten
 *   tmp/              files being written; a crash leaves only garbage here
 *   corrupt/          entries found damaged (never leased), kept for a human
 *
 * A message exists once its `.meta` is in queue/: enqueue writes and fsyncs both files in tmp/,
 * renames the body then the meta into queue/ and fsyncs queue/ before resolving. Several
 * processes may open the same spool; entry-lock.ts keeps their changes to one entry apart.
 * A lease whose owner process is known to be gone (lease-owner.ts) is void at once.
 */
export class FileSpool implements Spool, SpoolOperations {
  readonly root: string;
  private readonly queueDir: string;
  private readonly tmpDir: string;
  private readonly corruptDir: string;
  private readonly policy: RetryPolicy;
  private readonly clock: () => number;
  private readonly log: Logger;
  private readonly metrics: MetricsSink;
  private readonly maxBytes: number;
  private readonly defaultLeaseMs: number;
  private readonly lockWaitMs: number;
  private readonly recoverOnOpen: boolean;
  private readonly nextId: () => QueueId;
  private readonly locks: EntryLocks;
  private readonly index: EntryIndex;
  private readonly handlers = new Set<SpoolEventHandler>();
  private readonly wakeListeners = new Set<() => void>();
  /** Watches the spool for other processes' changes while anyone listens for wake-ups. */
  private watcher: SpoolWatcher | undefined;
  /** The queue directory's fsyncs (enqueue, settle, delete); group-committed by default. */
  readonly dirSync: DirSync;

  constructor(root: string, options: FileSpoolOptions = {}) {
    this.root = resolve(root);
    this.queueDir = join(this.root, 'queue');
    this.tmpDir = join(this.root, 'tmp');
    this.corruptDir = join(this.root, 'corrupt');
    this.policy = retryPolicy(options.retry);
    this.clock = options.clock ?? Date.now;
    this.log = (options.logger ?? silentLogger).child({ agent: 'queue' });
    this.metrics = options.metrics ?? noMetrics;
    this.maxBytes = options.maxMessageBytes ?? 100 * 1024 * 1024;
    this.defaultLeaseMs = options.defaultLeaseMs ?? 5 * 60_000;
    this.lockWaitMs = options.lockWaitMs ?? 10_000;
    this.recoverOnOpen = options.recoverOnOpen ?? true;
    this.nextId = queueIdGenerator(this.clock);
    this.locks = new EntryLocks(this.queueDir, this.tmpDir);
    this.index = new EntryIndex(this.root, this.tmpDir);
    this.dirSync = new DirSync(this.queueDir, options.groupCommit ?? true);
  }

  private metaPath(id: string) {
    return join(this.queueDir, `${id}.meta`);
  }
  private bodyPath(id: string) {
    return join(this.queueDir, `${id}.eml`);
  }
  private message(rec: SpoolRecord): QueuedMessage {
    return queuedMessage(rec, fileBlob(rec.id, this.bodyPath(rec.id), rec.size));
  }

  /** Creates the folders and cleans up after a crash (see `recover`). */
  async open(): Promise<this> {
    for (const d of [this.root, this.queueDir, this.tmpDir, this.corruptDir]) {
      await mkdir(d, { recursive: true, mode: 0o700 });
    }
    await syncDir(this.root);
    if (this.recoverOnOpen) await this.recover();
    return this;
  }

  // ---- Spool -------------------------------------------------------------------------------

  async enqueue(envelope: Envelope, body: Readable | MessageBlob): Promise<QueueId> {
    if (envelope.rcptTo.length === 0) throw new SmtpError(554, '5.5.1', 'No valid recipients');
    const id = this.nextId();
    let rec: SpoolRecord;
    try {
      const dirs = { queueDir: this.queueDir, tmpDir: this.tmpDir, dirSync: this.dirSync };
      rec = await writeEntry(dirs, id, envelope, body, this.maxBytes, this.clock);
    } catch (err) {
      this.log.warn({ event: 'enqueue-failed', queueId: id, err: String(err) }, 'enqueue failed');
      throw storageError(err);
    }
    this.log.info(
      {
        event: 'queued',
        queueId: id,
        from: envelope.mailFrom,
        rcpts: envelope.rcptTo.length,
        size: rec.size,
      },
      'queued',
    );
    this.index.remember(rec);
    this.wake();
    return id;
  }

  async lease(now: Date, options: LeaseOptions): Promise<QueuedMessage[]> {
    const at = now.getTime();
    const max = options.max ?? 16;
    const leaseMs = options.leaseMs ?? this.defaultLeaseMs;
    const candidates: string[] = [];
    const eventsDue: string[] = [];
    const events = this.handlers.size > 0;
    for (const rec of await this.scanWanted(at, events)) {
      if (this.locks.busyHere(rec.id)) continue;
      if (events && rec.pendingEvents.some((e) => e.nextTryAt <= at)) eventsDue.push(rec.id);
      if (isDue(rec, at)) candidates.push(rec.id);
    }
    // Lease in parallel chunks: concurrent fsyncs share journal commits, so a batch of N leases
    // costs about one disk flush, not N.
    const out: QueuedMessage[] = [];
    for (let i = 0; i < candidates.length && out.length < max; ) {
      const chunk = candidates.slice(i, i + (max - out.length));
      i += chunk.length;
      const got = await Promise.all(chunk.map((id) => this.leaseOne(id, at, options.owner, leaseMs)));
      for (const rec of got) if (rec) out.push(this.message(rec));
    }
    for (const id of eventsDue) await this.dispatchPending(id, at).catch(() => {});
    return out;
  }

  private leaseOne(id: string, at: number, owner: string, leaseMs: number): Promise<SpoolRecord | undefined> {
    return this.locks.exclusive(id, async () => {
      const leased = await this.withEntry(id, 'try', async (rec) => {
        if (rec.lease && isLeasedAt(rec, at) && leaseOwnerGone(rec.lease.owner)) {
          this.log.warn(
            { event: 'lease-reclaimed', queueId: id, holder: rec.lease.owner },
            'lease of a process that is gone taken back',
          );
          rec.lease = null;
        }
        if (!isDue(rec, at)) return { result: undefined };
        if (!(await this.bodyIntact(rec))) return { result: undefined, quarantine: true };
        rec.lease = { owner, expiresAt: at + leaseMs };
        // A lost lease only means the message is offered again, so no directory fsync here.
        return { result: rec, write: 'file' };
      });
      if (leased)
        this.log.debug({ event: 'leased', queueId: id, owner, attempt: leased.attempts + 1 }, 'leased');
      return leased;
    });
  }

  async settle(id: QueueId, results: RecipientResult[], options: SettleOptions = {}): Promise<void> {
    const now = this.clock();
    await this.locks.exclusive(id, async () => {
      const found = await this.withEntry(id, 'wait', async (rec, entry) => {
        const outcome = settleRecord(rec, results, now, this.policy, {
          owner: options.owner,
          trackEvents: this.handlers.size > 0,
        });
        const { stale } = outcome;
        reportSettle(this.log.child({ queueId: id }), this.metrics, {
          rec,
          outcome,
          now,
          stale,
          owner: options.owner,
        });
        if (rec.pendingEvents.length > 0) {
          // Record the events durably before telling anyone, so a crash re-raises them.
          await this.locks.rewrite(entry, formatMeta(rec));
          await this.runHandlers(rec, now);
        }
        return { result: true, write: 'durable' };
      });
      if (!found)
        this.log.warn({ event: 'settle-not-queued', queueId: id }, 'settle for a message no longer queued');
    });
  }

  async renew(id: QueueId, options: { owner: string; leaseMs: number }): Promise<boolean> {
    const now = this.clock();
    const ok = await this.locks.exclusive(id, () =>
      this.withEntry(id, 'wait', async (rec) => {
        if (rec.lease?.owner !== options.owner) return { result: false };
        rec.lease = { owner: options.owner, expiresAt: now + options.leaseMs };
        return { result: true, write: 'file' };
      }),
    );
    return ok === true;
  }

  onEvent(handler: SpoolEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /**
   * Notice that something may have become due: enqueue, flush, release, requeue, by this
   * process or (through spool-watch.ts, while anyone listens) by another process.
   */
  onWake(listener: () => void): () => void {
    if (this.wakeListeners.size === 0) {
      this.watcher = new SpoolWatcher(
        { root: this.root, queueDir: this.queueDir },
        (id) => this.index.knows(id),
        () => this.wake(),
        this.log,
      );
      this.watcher.start();
    }
    this.wakeListeners.add(listener);
    return () => {
      this.wakeListeners.delete(listener);
      if (this.wakeListeners.size === 0) {
        this.watcher?.stop();
        this.watcher = undefined;
      }
    };
  }

  private wake(): void {
    for (const l of this.wakeListeners) l();
  }

  // ---- SpoolOperations ---------------------------------------------------------------------

  async list(): Promise<QueuedMessage[]> {
    const out: QueuedMessage[] = [];
    for (const id of await this.scanIds()) {
      const rec = await this.readRecord(id, true);
      if (rec) out.push(this.message(rec));
    }
    return out;
  }

  async get(id: QueueId): Promise<QueuedMessage | undefined> {
    if (!isQueueId(id)) return undefined;
    const rec = await this.readRecord(id, true);
    return rec ? this.message(rec) : undefined;
  }

  async flush(id?: QueueId): Promise<number> {
    const now = this.clock();
    const ids = id === undefined ? await this.scanIds() : [id];
    let count = 0;
    for (const one of ids) {
      const changed = await this.mutate(one, (rec) => flushRecord(rec, now), false);
      if (changed) count++;
    }
    if (count > 0) {
      await this.announceChange();
      this.wake();
    }
    return count;
  }

  hold(id: QueueId): Promise<boolean> {
    return this.mutate(id, (rec) => {
      rec.held = true;
      return true;
    });
  }

  async release(id: QueueId): Promise<boolean> {
    const ok = await this.mutate(id, (rec) => {
      rec.held = false;
      return true;
    });
    if (ok) this.wake();
    return ok;
  }

  async requeue(id: QueueId): Promise<boolean> {
    const now = this.clock();
    const ok = await this.mutate(id, (rec) => {
      requeueRecord(rec, now);
      return true;
    });
    if (ok) this.wake();
    return ok;
  }

  async delete(id: QueueId): Promise<boolean> {
    if (!isQueueId(id)) return false;
    const ok = await this.locks.exclusive(id, () =>
      this.withEntry(id, 'wait', async () => ({ result: true, remove: true })),
    );
    if (ok === true) await this.announceChange();
    return ok === true;
  }

  /**
   * Crash clean-up, run by `open()`: temp files of dead writers go; entries locked by dead
   * processes are published again; an entry whose meta does not parse or whose body is missing
   * or of the wrong size moves to corrupt/; bodies without a meta (a crash between the two
   * renames of enqueue) move to corrupt/<id>.orphan.eml once old enough not to be a live enqueue's.
   */
  async recover(): Promise<{ removedTemps: number; quarantined: number; orphans: number }> {
    let removedTemps = 0;
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      let state = tempNameState(name);
      if (state === 'unknown') {
        const info = await stat(path).catch(() => null);
        state = info && Date.now() - info.mtimeMs > FOREIGN_TEMP_AGE_MS ? 'stale' : 'live';
      }
      if (state === 'stale') {
        await unlink(path).catch(() => {});
        removedTemps++;
      }
    }
    const ids = await this.scanIds();
    let quarantined = 0;
    for (const id of ids) {
      const rec = await this.readRecord(id);
      const sound = rec ? await this.bodyIntact(rec) : false;
      if (!sound && (await this.quarantineUnlocked(id))) quarantined++;
    }
    let orphans = 0;
    const known = new Set(ids);
    const now = Date.now();
    for (const name of await readdir(this.queueDir)) {
      if (!name.endsWith('.eml')) continue;
      const id = name.slice(0, -4);
      if (known.has(id)) continue;
      const info = await stat(join(this.queueDir, name)).catch(() => null);
      if (!info || now - info.mtimeMs <= ORPHAN_BODY_AGE_MS || !(await this.hasNoMeta(id))) continue;
      // Moved aside rather than deleted: if a live entry was misjudged, nothing is lost.
      await rename(join(this.queueDir, name), join(this.corruptDir, `${id}.orphan.eml`)).catch(() => {});
      orphans++;
    }
    if (removedTemps + quarantined + orphans > 0) {
      this.log.warn(
        { event: 'spool-recovered', removedTemps, quarantined, orphans },
        'recovered spool after a crash',
      );
    }
    return { removedTemps, quarantined, orphans };
  }

  // ---- internals ---------------------------------------------------------------------------

  /** Ids of every entry, published or locked, in id (= arrival) order; recovers dead locks. */
  private async scanIds(): Promise<string[]> {
    const ids = new Set<string>();
    for (const name of await readdir(this.queueDir)) {
      if (name.endsWith('.meta')) ids.add(name.slice(0, -5));
      else if (isLockName(name)) {
        await this.locks.recoverIfStale(name);
        ids.add(lockNameId(name));
      }
    }
    return [...ids].filter(isQueueId).sort();
  }

  /**
   * Records that may need this process at `at` (due, or with events to raise), from the index
   * where it has a fresh view and from disk otherwise. Only a filter: leasing re-reads under lock.
   */
  private async scanWanted(at: number, events: boolean): Promise<SpoolRecord[]> {
    const ids = await this.scanIds();
    await this.index.refresh(new Set(ids));
    const out: SpoolRecord[] = [];
    for (const id of ids) {
      let rec = this.index.recall(id);
      if (!rec) {
        rec = await this.readRecord(id);
        if (!rec) continue;
        this.index.remember(rec);
      }
      const live = withoutGoneLease(rec);
      if (wantedAt(live, events) <= at) out.push(live);
    }
    return out;
  }

  /**
   * The entry as last published, without locking; a locked entry is read under its locked name
   * (the state before the change in progress) when `includeLocked`. Undefined when gone or torn.
   */
  private async readRecord(id: string, includeLocked = false): Promise<SpoolRecord | undefined> {
    for (let tries = 0; tries < 3; tries++) {
      let text: string | undefined;
      try {
        text = await readFile(this.metaPath(id), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        if (!includeLocked) return undefined;
        const locked = (await readdir(this.queueDir)).find((n) => n.startsWith(`${id}.meta.lock-`));
        if (!locked) continue; // published again meanwhile, or gone: look once more
        text = await readFile(join(this.queueDir, locked), 'utf8').catch(() => undefined);
        if (text === undefined) continue;
      }
      try {
        const rec = parseMeta(text);
        return rec.id === id ? rec : undefined;
      } catch (err) {
        if (!(err instanceof MetaFormatError)) throw err;
        this.log.error({ event: 'meta-unreadable', queueId: id, err: err.message }, 'unreadable meta file');
        return undefined;
      }
    }
    return undefined;
  }

  /**
   * No meta under either name. A live entry is always under exactly one of them (renames are
   * atomic), but a readdir may miss a name renamed during it; looking at the meta name before
   * and after the listing means a live entry is misjudged only if it was unlocked and locked
   * again within one listing and the listing missed both lock names.
   */
  private async hasNoMeta(id: string): Promise<boolean> {
    if (await this.exists(this.metaPath(id))) return false;
    if ((await readdir(this.queueDir)).some((n) => n.startsWith(`${id}.meta`))) return false;
    return !(await this.exists(this.metaPath(id)));
  }

  private async exists(path: string): Promise<boolean> {
    return stat(path).then(
      () => true,
      () => false,
    );
  }

  private async bodyIntact(rec: SpoolRecord): Promise<boolean> {
    // Only a missing or wrongly sized body condemns an entry; any other error (EMFILE, EIO) is
    // thrown, so a passing fault never sends a healthy message to corrupt/.
    const info = await stat(this.bodyPath(rec.id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (info?.size === rec.size) return true;
    this.log.error(
      { event: 'body-missing', queueId: rec.id, expected: rec.size, found: info?.size ?? null },
      'body missing or torn',
    );
    return false;
  }

  /**
   * Takes entry `id`, runs `change` on its record and ends as told: publish unchanged, rewrite
   * ('file': fsync the file; 'durable': and the directory), remove, or quarantine. Undefined
   * when the entry does not exist (or, with 'try', is held elsewhere).
   */
  private async withEntry<T>(
    id: string,
    mode: 'try' | 'wait',
    change: (
      rec: SpoolRecord,
      entry: LockedEntry,
    ) => Promise<{ result: T; write?: 'file' | 'durable'; remove?: boolean; quarantine?: boolean }>,
  ): Promise<T | undefined> {
    const entry = mode === 'try' ? await this.locks.tryTake(id) : await this.locks.take(id, this.lockWaitMs);
    if (!entry) return undefined;
    let rec: SpoolRecord;
    try {
      rec = parseMeta(entry.text);
      if (rec.id !== id) throw new MetaFormatError(`meta of ${rec.id} under the name of ${id}`);
    } catch (err) {
      this.log.error({ event: 'meta-unreadable', queueId: id, err: String(err) }, 'unreadable meta file');
      await this.quarantine(entry);
      return undefined;
    }
    let done: Awaited<ReturnType<typeof change>>;
    try {
      done = await change(rec, entry);
    } catch (err) {
      await this.locks.publish(entry);
      throw err;
    }
    let published = false;
    try {
      if (done.quarantine) {
        this.index.forget(id);
        await this.quarantine(entry);
      } else if (done.remove || isFinished(rec)) {
        this.index.forget(id);
        await this.locks.drop(entry);
        published = true;
        await unlink(this.bodyPath(id)).catch(() => {});
        await this.dirSync.sync();
        this.log.info(
          { event: 'dequeued', queueId: id },
          done.remove ? 'deleted' : 'removed: every recipient settled',
        );
      } else {
        if (done.write) await this.locks.rewrite(entry, formatMeta(rec));
        await this.locks.publish(entry);
        published = true;
        // What is on disk now: `rec` when written, else the text as taken (`change` may have
        // touched `rec` without asking for a write).
        this.index.remember(done.write ? rec : parseMeta(entry.text));
        if (done.write === 'durable') await this.dirSync.sync();
      }
    } catch (err) {
      // A failed write (disk full, say) must not leave the entry locked by a live process,
      // which nobody would recover: put back whatever the locked name holds.
      if (!published) await this.locks.publish(entry).catch(() => {});
      this.index.forget(id);
      throw err;
    }
    return done.result;
  }

  /** An operator change: true when the entry existed and `change` wanted it written. */
  private async mutate(id: string, change: (rec: SpoolRecord) => boolean, announce = true): Promise<boolean> {
    if (!isQueueId(id)) return false;
    const ok = await this.locks.exclusive(id, () =>
      this.withEntry(id, 'wait', async (rec) => {
        const changed = change(rec);
        return { result: changed, ...(changed ? { write: 'durable' as const } : {}) };
      }),
    );
    if (ok === true && announce) await this.announceChange();
    return ok === true;
  }

  /** Other processes' lease scans must not trust what they cached about this entry any more. */
  private async announceChange(): Promise<void> {
    await this.index.announceChange().catch((err) => {
      this.log.warn(
        { event: 'change-announce-failed', err: String(err) },
        'could not announce an operator change',
      );
    });
  }

  /** Calls the handlers for each pending event that is due; keeps the ones that failed. */
  private runHandlers(rec: SpoolRecord, now: number): Promise<void> {
    return raiseDueEvents(rec, this.message(rec), this.handlers, now, (pending, err) => {
      this.log.error(
        { event: 'event-handler-failed', queueId: rec.id, kind: pending.type, err: String(err) },
        'event handler failed',
      );
    });
  }

  /** Raises events left pending by a failed handler or a crash. */
  private async dispatchPending(id: string, now: number): Promise<void> {
    await this.locks.exclusive(id, () =>
      this.withEntry(id, 'try', async (rec) => {
        if (!rec.pendingEvents.some((e) => e.nextTryAt <= now)) return { result: undefined };
        await this.runHandlers(rec, now);
        return { result: undefined, write: 'durable' };
      }),
    );
  }

  private async quarantine(entry: LockedEntry): Promise<void> {
    await rename(entry.path, join(this.corruptDir, `${entry.id}.meta`)).catch(() => {});
    await rename(this.bodyPath(entry.id), join(this.corruptDir, `${entry.id}.eml`)).catch(() => {});
    this.log.error({ event: 'quarantined', queueId: entry.id }, 'entry moved to corrupt/');
  }

  private async quarantineUnlocked(id: string): Promise<boolean> {
    const entry = await this.locks.tryTake(id);
    if (!entry) return false;
    // Judge again under the lock: the unlocked read may have raced a change in progress.
    let sound: boolean;
    try {
      let rec: SpoolRecord | undefined;
      try {
        rec = parseMeta(entry.text);
      } catch (err) {
        if (!(err instanceof MetaFormatError)) throw err;
      }
      sound = rec !== undefined && rec.id === id && (await this.bodyIntact(rec));
    } catch (err) {
      await this.locks.publish(entry);
      throw err;
    }
    if (sound) {
      await this.locks.publish(entry);
      return false;
    }
    await this.quarantine(entry);
    return true;
  }
}

/**
 * The record as a lease scan should judge it: the lease of a process that is gone (a crash,
 * a kill -9) is void at once, not minutes later at its expiry, so mail it held is delivered as
 * soon as a worker of this host looks (at its start, or on its next poll). Leasing re-checks
 * under the entry's lock and rewrites the lease.
 */
function withoutGoneLease(rec: SpoolRecord): SpoolRecord {
  return rec.lease && leaseOwnerGone(rec.lease.owner) ? { ...rec, lease: null } : rec;
}

/** Opens (creating if needed) a file-backed spool at `root` and cleans up after any crash. */
export function openFileSpool(root: string, options: FileSpoolOptions = {}): Promise<FileSpool> {
  return new FileSpool(root, options).open();
}

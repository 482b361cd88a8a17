/**
 * The folder half of the in-memory MailboxStore: the shared state of one folder (messages,
 * change log, watchers) and the `Folder` a session opens over it, a snapshot that
 * `refresh()` brings up to date, as a Maildir folder is.
 */
import { Readable } from 'node:stream';
import {
  type AppendOptions,
  copyThroughSeam,
  type Folder,
  type FolderChange,
  InvalidNameError,
  type MessageBlob,
  type MessageMeta,
  type MessageSummary,
  NotFoundError,
  readAll,
  SYSTEM_FLAGS,
  summarize,
} from '@mailstack/core';

interface StoredMessage {
  uid: number;
  /** Wire form (CRLF line ends). */
  bytes: Buffer;
  flags: string[];
  internalDate: Date;
  /** Not yet claimed as \Recent by any session. */
  unclaimed: boolean;
  summary?: MessageSummary;
}

/** A change before the log numbers it. */
type WithoutSeq<C> = C extends FolderChange ? Omit<C, 'seq'> : never;
type Change = WithoutSeq<FolderChange>;

interface Watcher {
  owner: MemoryFolder;
  onChange: () => void;
  /** A callback is already due: changes in one turn wake a watcher once. */
  due: boolean;
}

/** What the store does for its folders: quota accounting across the user's folders. */
export interface FolderHost {
  /** Throws OverQuotaError when `bytes` more in `count` messages would exceed the user's quota. */
  checkQuota(user: string, bytes: number, count: number): void;
}

/** One folder's state, shared by every Folder object opened on it. */
export class FolderData {
  readonly uidValidity: number;
  uidNext = 1;
  readonly messages = new Map<number, StoredMessage>();
  /** The change log: every change by any session, `seq` growing by one per change. */
  readonly log: FolderChange[] = [];
  /** Keywords by lower-cased name: the first spelling is kept, as Maildir's keyword file does. */
  readonly keywords = new Map<string, string>();
  readonly watchers = new Set<Watcher>();
  /** The folder was deleted: sessions still holding it see it empty after a refresh. */
  deleted = false;

  constructor(uidValidity: number) {
    this.uidValidity = uidValidity;
  }

  get seq(): number {
    return this.log.at(-1)?.seq ?? 0;
  }

  bytesUsed(): number {
    let n = 0;
    for (const m of this.messages.values()) n += m.bytes.length;
    return n;
  }

  record(change: Change, source: MemoryFolder | null): void {
    this.log.push({ ...change, seq: this.seq + 1 } as FolderChange);
    // Asynchronously, as a file-system watch fires: never inside the caller's operation.
    for (const w of this.watchers) {
      if (w.owner === source || w.due) continue;
      w.due = true;
      setImmediate(() => w.owner.fire(w));
    }
  }

  /** Stores a message; `recent` leaves it for a session to claim. */
  add(bytes: Buffer, flags: string[], internalDate: Date, recent: boolean): StoredMessage {
    const uid = this.uidNext++;
    const m: StoredMessage = { uid, bytes, flags: this.canonical(flags), internalDate, unclaimed: recent };
    this.messages.set(uid, m);
    return m;
  }

  /**
   * System flags in their canonical spelling, keywords as first registered; \Recent and
   * unknown system flags are dropped (they cannot be stored), as Maildir does.
   */
  canonical(flags: readonly string[]): string[] {
    const out = new Set<string>();
    for (const f of flags) {
      if (f.startsWith('\\')) {
        const system = SYSTEM_FLAGS.find((s) => s.toLowerCase() === f.toLowerCase());
        if (system) out.add(system);
        continue;
      }
      if (!/^[^\s\\(){%*"\]\u0000-\u001f\u007f]{1,128}$/.test(f))
        throw new InvalidNameError(`Invalid keyword: ${JSON.stringify(f)}`);
      const key = f.toLowerCase();
      if (!this.keywords.has(key)) this.keywords.set(key, f);
      out.add(this.keywords.get(key)!);
    }
    return [...out];
  }
}

function metaOf(m: StoredMessage): MessageMeta {
  return { uid: m.uid, flags: [...m.flags], size: m.bytes.length, internalDate: new Date(m.internalDate) };
}

/** Any line end (LF, CRLF, a lone CR) as CRLF: the wire form every read returns. */
export function toWire(bytes: Buffer): Buffer {
  return Buffer.from(bytes.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');
}

export class MemoryFolder implements Folder {
  readonly user: string;
  readonly name: string;
  readonly #data: FolderData;
  readonly #host: FolderHost;
  #snapshot = new Map<number, MessageMeta>();
  #sorted: MessageMeta[] | null = null;
  #seq: number;
  #closed = false;
  readonly #mine = new Set<Watcher>();
  /** Sequence numbers of our own changes not yet passed by a refresh (not reported back). */
  readonly #ownSeqs = new Set<number>();
  /** Changes a claimRecent's sync read; the next refresh still returns them. */
  readonly #pending: FolderChange[] = [];

  constructor(user: string, name: string, data: FolderData, host: FolderHost) {
    this.user = user;
    this.name = name;
    this.#data = data;
    this.#host = host;
    this.#seq = data.seq;
    this.#adopt();
  }

  /** For the store's fast path: the state behind a folder of the same store. */
  dataOf(host: FolderHost): FolderData | null {
    return host === this.#host ? this.#data : null;
  }

  get uidValidity(): number {
    return this.#data.uidValidity;
  }

  get uidNext(): number {
    return this.#data.uidNext;
  }

  get highestSeq(): number {
    return this.#seq;
  }

  messages(): readonly MessageMeta[] {
    this.#sorted ??= [...this.#snapshot.values()].sort((a, b) => a.uid - b.uid);
    return this.#sorted;
  }

  /** The snapshot becomes the shared state; changes since our last look, others' only. */
  #adopt(): void {
    this.#snapshot = new Map();
    if (!this.#data.deleted)
      for (const m of this.#data.messages.values()) this.#snapshot.set(m.uid, metaOf(m));
    this.#sorted = null;
  }

  #note(m: StoredMessage): void {
    this.#snapshot.set(m.uid, metaOf(m));
    this.#sorted = null;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('Folder is closed');
  }

  async refresh(): Promise<FolderChange[]> {
    this.#assertOpen();
    return [...this.#pending.splice(0), ...this.#sync()];
  }

  /** Others' changes since our last look, and the snapshot made current. */
  #sync(): FolderChange[] {
    const changes = this.#data.log.filter((c) => c.seq > this.#seq && !this.#ownSeqs.has(c.seq));
    this.#ownSeqs.clear();
    this.#seq = this.#data.seq;
    this.#adopt();
    return changes;
  }

  #record(change: Change): void {
    this.#data.record(change, this);
    this.#ownSeqs.add(this.#data.seq);
  }

  async append(blob: MessageBlob, options: AppendOptions = {}): Promise<{ uid: number }> {
    this.#assertOpen();
    const bytes = toWire(await readAll(blob.open()));
    const flags = options.flags ?? [];
    this.#data.canonical(flags); // refuse a bad keyword before the quota counts the message
    this.#host.checkQuota(this.user, bytes.length, 1);
    const recent =
      options.recent === true || flags.filter((f) => f.toLowerCase() !== '\\recent').length === 0;
    const m = this.#data.add(bytes, flags, options.internalDate ?? new Date(), recent);
    this.#record({ kind: 'append', uids: [m.uid] });
    this.#note(m);
    return { uid: m.uid };
  }

  read(uid: number, range?: { start: number; end?: number }): Readable {
    if (!this.#snapshot.has(uid)) throw new NotFoundError(`No message with UID ${uid}`);
    const data = this.#data;
    // Gone since the snapshot: the stream fails when read, as a Maildir file removed under a session.
    return Readable.from(
      (async function* () {
        const m = data.deleted ? undefined : data.messages.get(uid);
        if (!m) throw new NotFoundError(`No message with UID ${uid}`);
        const start = Math.min(range?.start ?? 0, m.bytes.length);
        const end = Math.min(range?.end ?? m.bytes.length, m.bytes.length);
        if (end > start) yield m.bytes.subarray(start, end);
      })(),
      { objectMode: false },
    );
  }

  async summary(uid: number): Promise<MessageSummary> {
    const m = this.#data.messages.get(uid);
    if (!m || !this.#snapshot.has(uid)) throw new NotFoundError(`No message with UID ${uid}`);
    m.summary ??= await summarize(Readable.from([m.bytes]));
    return m.summary;
  }

  async setFlags(uids: number[], op: '+' | '-' | '=', flags: string[]): Promise<MessageMeta[]> {
    this.#assertOpen();
    const given = new Set(this.#data.canonical(flags));
    const out: MessageMeta[] = [];
    for (const uid of [...new Set(uids)].sort((a, b) => a - b)) {
      const m = this.#data.messages.get(uid);
      if (!m || !this.#snapshot.has(uid)) continue;
      const next =
        op === '+'
          ? [...m.flags, ...[...given].filter((f) => !m.flags.includes(f))]
          : op === '-'
            ? m.flags.filter((f) => !given.has(f))
            : [...given];
      if ([...next].sort().join(' ') !== [...m.flags].sort().join(' ')) {
        m.flags = next;
        this.#record({ kind: 'flags', uid, flags: [...next] });
      }
      this.#note(m);
      out.push(this.#snapshot.get(uid)!);
    }
    return out;
  }

  async copy(uids: number[], target: Folder): Promise<Array<[number, number]>> {
    this.#assertOpen();
    // Between folders of this store the bytes are shared; into any other backend, through the seam.
    const into = target instanceof MemoryFolder ? target.dataOf(this.#host) : null;
    if (!into) return copyThroughSeam(this, uids, target);
    const list = [...new Set(uids)]
      .filter((uid) => this.#snapshot.has(uid) && this.#data.messages.has(uid))
      .sort((a, b) => a - b);
    if (list.length === 0) return [];
    const sources = list.map((uid) => this.#data.messages.get(uid)!);
    this.#host.checkQuota(
      target.user,
      sources.reduce((n, m) => n + m.bytes.length, 0),
      sources.length,
    );
    // Copies are \Recent in the target (RFC 3501 6.4.7), left for a session to claim, as
    // Maildir's copies linked into new/ are.
    const made = sources.map((m) => into.add(m.bytes, m.flags, m.internalDate, true));
    for (const [i, m] of made.entries()) if (sources[i]!.summary) m.summary = sources[i]!.summary;
    into.record({ kind: 'append', uids: made.map((m) => m.uid) }, this);
    if (target === this) {
      this.#ownSeqs.add(into.seq);
      for (const m of made) this.#note(m);
    }
    return list.map((uid, i) => [uid, made[i]!.uid]);
  }

  async move(uids: number[], target: Folder): Promise<Array<[number, number]>> {
    const pairs = await this.copy(uids, target);
    await this.expunge(pairs.map(([source]) => source));
    return pairs;
  }

  async expunge(uids?: number[]): Promise<number[]> {
    this.#assertOpen();
    const candidates = uids ? [...new Set(uids)] : [...this.#snapshot.keys()];
    const removed = candidates
      .filter((uid) => {
        const m = this.#data.messages.get(uid);
        return m && this.#snapshot.has(uid) && (uids !== undefined || m.flags.includes('\\Deleted'));
      })
      .sort((a, b) => a - b);
    // Also those another session removed: gone either way, as Maildir drops them.
    for (const uid of candidates)
      if (!this.#data.messages.has(uid) || removed.includes(uid)) this.#snapshot.delete(uid);
    this.#sorted = null;
    if (removed.length === 0) return [];
    for (const uid of removed) this.#data.messages.delete(uid);
    this.#record({ kind: 'expunge', uids: removed });
    return removed;
  }

  async claimRecent(): Promise<number[]> {
    this.#assertOpen();
    this.#pending.push(...this.#sync());
    const claimed: number[] = [];
    for (const m of [...this.#data.messages.values()].sort((a, b) => a.uid - b.uid)) {
      if (!m.unclaimed) continue;
      m.unclaimed = false;
      claimed.push(m.uid);
    }
    return claimed;
  }

  unclaimedRecent(): number {
    let n = 0;
    for (const uid of this.#snapshot.keys()) if (this.#data.messages.get(uid)?.unclaimed) n++;
    return n;
  }

  watch(onChange: () => void): () => void {
    const w: Watcher = { owner: this, onChange, due: false };
    this.#data.watchers.add(w);
    this.#mine.add(w);
    return () => {
      this.#data.watchers.delete(w);
      this.#mine.delete(w);
    };
  }

  /** Runs a watcher's callback (the store calls it after another session's change). */
  fire(w: Watcher): void {
    w.due = false;
    if (this.#closed || !this.#mine.has(w)) return;
    try {
      w.onChange();
    } catch {
      // a listener's failure is its own
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#mine) this.#data.watchers.delete(w);
    this.#mine.clear();
  }
}

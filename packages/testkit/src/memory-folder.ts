/**
 * The folder half of the in-memory MailboxStore: the shared index of one folder (messages
 * with their modseq, the change log, watchers) and the `Folder` handle a session opens over
 * it. Handles share the index's immutable message list; a handle shows the list as of its
 * last `refresh()` or own change, as a Maildir handle on its shared index does.
 */
import { Readable } from 'node:stream';
import {
  type AppendOptions,
  copyThroughSeam,
  type EnvelopeFields,
  type Folder,
  type FolderChange,
  type FolderDelta,
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
  /** The shared, frozen meta: replaced (never changed) when the flags change. */
  meta: MessageMeta;
  /** Not yet claimed as \Recent by any session. */
  unclaimed: boolean;
  summary?: MessageSummary;
  /** The protocol's text cache (cachedText/cacheText), dropped with the message. */
  texts?: Map<string, string>;
}

/** A change before the log numbers it. */
type WithoutModseq<C> = C extends FolderChange ? Omit<C, 'modseq'> : never;
type Change = WithoutModseq<FolderChange>;

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

const NO_MESSAGES: readonly MessageMeta[] = Object.freeze([]);

function freezeMeta(uid: number, flags: readonly string[], size: number, internalDate: Date, modseq: number) {
  return Object.freeze({
    uid,
    flags: Object.freeze([...flags]) as string[],
    size,
    internalDate,
    modseq,
  }) as MessageMeta;
}

/** The index of UID `uid` in a list sorted by UID, or -1. */
export function indexOfUid(list: readonly MessageMeta[], uid: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = list[mid]!.uid;
    if (at === uid) return mid;
    if (at < uid) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** One folder's index, shared by every Folder handle opened on it. */
export class FolderData {
  readonly uidValidity: number;
  uidNext = 1;
  /** By UID; UIDs only grow, so insertion order is UID order. */
  readonly messages = new Map<number, StoredMessage>();
  /** The change log: every change by any session, `modseq` growing by one per change. */
  readonly log: FolderChange[] = [];
  /** Keywords by lower-cased name: the first spelling is kept, as Maildir's keyword file does. */
  readonly keywords = new Map<string, string>();
  readonly watchers = new Set<Watcher>();
  /** The folder was deleted: sessions still holding it see it empty after a refresh. */
  deleted = false;
  /** The shared message list, built on demand and kept until the next change. */
  #list: readonly MessageMeta[] | null = null;

  constructor(uidValidity: number) {
    this.uidValidity = uidValidity;
  }

  get modseq(): number {
    return this.log.at(-1)?.modseq ?? 0;
  }

  /** Messages in UID order: the same frozen array until the folder changes. */
  list(): readonly MessageMeta[] {
    if (this.deleted) return NO_MESSAGES;
    this.#list ??= Object.freeze([...this.messages.values()].map((m) => m.meta));
    return this.#list;
  }

  bytesUsed(): number {
    let n = 0;
    for (const m of this.messages.values()) n += m.bytes.length;
    return n;
  }

  /** Logs a change under the next modseq (returned); the caller has updated the messages. */
  record(change: Change, source: MemoryFolder | null): number {
    const modseq = this.modseq + 1;
    this.log.push({ ...change, modseq } as FolderChange);
    this.#list = null;
    // Asynchronously, as a file-system watch fires: never inside the caller's operation.
    for (const w of this.watchers) {
      if (w.owner === source || w.due) continue;
      w.due = true;
      setImmediate(() => w.owner.fire(w));
    }
    return modseq;
  }

  /** Stores messages (one change); `recent` leaves them for a session to claim. */
  add(
    items: ReadonlyArray<{ bytes: Buffer; flags: readonly string[]; internalDate: Date }>,
    recent: boolean,
    source: MemoryFolder | null,
  ): StoredMessage[] {
    const modseq = this.modseq + 1;
    const made = items.map(({ bytes, flags, internalDate }): StoredMessage => {
      const uid = this.uidNext++;
      const meta = freezeMeta(uid, this.canonical(flags), bytes.length, new Date(internalDate), modseq);
      const m: StoredMessage = { uid, bytes, meta, unclaimed: recent };
      this.messages.set(uid, m);
      return m;
    });
    this.record({ kind: 'append', uids: made.map((m) => m.uid) }, source);
    return made;
  }

  /** New flags for a message under a new modseq; false when they are the same set. */
  reflag(m: StoredMessage, flags: string[], source: MemoryFolder): boolean {
    if ([...flags].sort().join(' ') === [...m.meta.flags].sort().join(' ')) return false;
    const modseq = this.record({ kind: 'flags', uid: m.uid, flags: [...flags] }, source);
    m.meta = freezeMeta(m.uid, flags, m.meta.size, m.meta.internalDate, modseq);
    return true;
  }

  /** The UIDs expunged after `from` up to `to`, ascending. */
  expungedBetween(from: number, to: number): number[] {
    const out: number[] = [];
    for (let i = this.log.length - 1; i >= 0; i--) {
      const c = this.log[i]!;
      if (c.modseq <= from) break;
      if (c.modseq <= to && c.kind === 'expunge') out.push(...c.uids);
    }
    return out.sort((a, b) => a - b);
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

/** Any line end (LF, CRLF, a lone CR) as CRLF: the wire form every read returns. */
export function toWire(bytes: Buffer): Buffer {
  return Buffer.from(bytes.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');
}

export class MemoryFolder implements Folder {
  readonly user: string;
  readonly name: string;
  readonly #data: FolderData;
  readonly #host: FolderHost;
  /** The shared list as of our last look (refresh or own change). */
  #list: readonly MessageMeta[];
  /** The index's modseq as of our last look. */
  #modseq = 0;
  /** How far refresh() has reported the log. */
  #reported: number;
  #closed = false;
  readonly #mine = new Set<Watcher>();
  /** Modseqs of our own changes not yet passed by a refresh (not reported back). */
  readonly #own = new Set<number>();

  constructor(user: string, name: string, data: FolderData, host: FolderHost) {
    this.user = user;
    this.name = name;
    this.#data = data;
    this.#host = host;
    this.#reported = data.modseq;
    this.#list = NO_MESSAGES;
    this.#look();
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

  get highestModseq(): number {
    return this.#modseq;
  }

  messages(): readonly MessageMeta[] {
    return this.#list;
  }

  /** The handle shows the shared index as it is now. */
  #look(): void {
    this.#list = this.#data.list();
    this.#modseq = this.#data.modseq;
  }

  #has(uid: number): boolean {
    return indexOfUid(this.#list, uid) >= 0;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('Folder is closed');
  }

  async refresh(): Promise<FolderChange[]> {
    this.#assertOpen();
    const changes = this.#data.log.filter((c) => c.modseq > this.#reported && !this.#own.has(c.modseq));
    this.#own.clear();
    this.#reported = this.#data.modseq;
    this.#look();
    return changes;
  }

  changesSince(modseq: number): FolderDelta | null {
    if (modseq >= this.#modseq) return { changed: [], expunged: [] };
    return {
      changed: this.#list.filter((m) => m.modseq > modseq),
      expunged: this.#data.expungedBetween(modseq, this.#modseq),
    };
  }

  keywords(): readonly string[] {
    return [...this.#data.keywords.values()];
  }

  /** Our own change: remembered so refresh does not report it back; the handle looks again. */
  #ownChange(): void {
    this.#own.add(this.#data.modseq);
    this.#look();
  }

  async append(blob: MessageBlob, options: AppendOptions = {}): Promise<{ uid: number }> {
    this.#assertOpen();
    const bytes = toWire(await readAll(blob.open()));
    const flags = options.flags ?? [];
    this.#data.canonical(flags); // refuse a bad keyword before the quota counts the message
    this.#host.checkQuota(this.user, bytes.length, 1);
    const recent =
      options.recent === true || flags.filter((f) => f.toLowerCase() !== '\\recent').length === 0;
    const [m] = this.#data.add(
      [{ bytes, flags, internalDate: options.internalDate ?? new Date() }],
      recent,
      this,
    );
    this.#ownChange();
    return { uid: m!.uid };
  }

  read(uid: number, range?: { start: number; end?: number }): Readable {
    if (!this.#has(uid)) throw new NotFoundError(`No message with UID ${uid}`);
    const data = this.#data;
    // Gone since our look: the stream fails when read, as a Maildir file removed under a session.
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

  #stored(uid: number): StoredMessage {
    const m = this.#data.messages.get(uid);
    if (!m || !this.#has(uid)) throw new NotFoundError(`No message with UID ${uid}`);
    return m;
  }

  async summary(uid: number): Promise<MessageSummary> {
    const m = this.#stored(uid);
    m.summary ??= await summarize(Readable.from([m.bytes]));
    return m.summary;
  }

  async envelope(uid: number): Promise<EnvelopeFields> {
    return (await this.summary(uid)).envelope;
  }

  cachedText(uid: number, key: string): string | undefined {
    return this.#data.messages.get(uid)?.texts?.get(key);
  }

  cacheText(uid: number, key: string, value: string): void {
    const m = this.#data.messages.get(uid);
    if (!m) return;
    m.texts ??= new Map();
    m.texts.set(key, value);
  }

  async setFlags(uids: number[], op: '+' | '-' | '=', flags: string[]): Promise<MessageMeta[]> {
    this.#assertOpen();
    const given = new Set(this.#data.canonical(flags));
    const touched: StoredMessage[] = [];
    for (const uid of [...new Set(uids)].sort((a, b) => a - b)) {
      const m = this.#data.messages.get(uid);
      if (!m || !this.#has(uid)) continue;
      const now = m.meta.flags;
      const next =
        op === '+'
          ? [...now, ...[...given].filter((f) => !now.includes(f))]
          : op === '-'
            ? now.filter((f) => !given.has(f))
            : [...given];
      if (this.#data.reflag(m, next, this)) this.#own.add(this.#data.modseq);
      touched.push(m);
    }
    this.#look();
    return touched.map((m) => m.meta);
  }

  async copy(uids: number[], target: Folder): Promise<Array<[number, number]>> {
    this.#assertOpen();
    // Between folders of this store the bytes are shared; into any other backend, through the seam.
    const into = target instanceof MemoryFolder ? target.dataOf(this.#host) : null;
    if (!into) return copyThroughSeam(this, uids, target);
    const list = [...new Set(uids)]
      .filter((uid) => this.#has(uid) && this.#data.messages.has(uid))
      .sort((a, b) => a - b);
    if (list.length === 0) return [];
    const sources = list.map((uid) => this.#data.messages.get(uid)!);
    this.#host.checkQuota(
      target.user,
      sources.reduce((n, m) => n + m.bytes.length, 0),
      sources.length,
    );
    // Copies are \Recent for the next session that selects the target (RFC 3501 6.4.7).
    const made = into.add(
      sources.map((m) => ({ bytes: m.bytes, flags: m.meta.flags, internalDate: m.meta.internalDate })),
      true,
      this,
    );
    for (const [i, m] of made.entries()) if (sources[i]!.summary) m.summary = sources[i]!.summary;
    if (target === this) this.#ownChange();
    return list.map((uid, i) => [uid, made[i]!.uid]);
  }

  async move(uids: number[], target: Folder): Promise<Array<[number, number]>> {
    const pairs = await this.copy(uids, target);
    await this.expunge(pairs.map(([source]) => source));
    return pairs;
  }

  async expunge(uids?: number[]): Promise<number[]> {
    this.#assertOpen();
    const candidates = uids ? [...new Set(uids)] : this.#list.map((m) => m.uid);
    const removed = candidates
      .filter((uid) => {
        const m = this.#data.messages.get(uid);
        return m && this.#has(uid) && (uids !== undefined || m.meta.flags.includes('\\Deleted'));
      })
      .sort((a, b) => a - b);
    if (removed.length === 0) return [];
    for (const uid of removed) this.#data.messages.delete(uid);
    this.#data.record({ kind: 'expunge', uids: removed }, this);
    this.#ownChange();
    return removed;
  }

  async claimRecent(): Promise<number[]> {
    this.#assertOpen();
    // Claims what the index has now: the handle looks again so it holds what it claimed.
    this.#look();
    const claimed: number[] = [];
    for (const m of this.#data.messages.values()) {
      if (!m.unclaimed) continue;
      m.unclaimed = false;
      claimed.push(m.uid);
    }
    return claimed;
  }

  unclaimedRecent(): number {
    let n = 0;
    for (const meta of this.#list) if (this.#data.messages.get(meta.uid)?.unclaimed) n++;
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

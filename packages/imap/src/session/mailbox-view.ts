import { type Folder, type MessageMeta, SYSTEM_FLAGS } from '@mailstack/core';
import type { Response } from '../writer/types.ts';

/** The position of `uid` in an ascending list (of metas or UIDs), or -1. */
function find<T>(list: readonly T[], uid: number, key: (item: T) => number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = key(list[mid]!);
    if (at === uid) return mid;
    if (at < uid) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
const metaUid = (m: MessageMeta): number => m.uid;
const itself = (n: number): number => n;

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((f) => b.includes(f));
}

/**
 * The selected mailbox as this client knows it, kept on the folder's change log.
 *
 * The view holds a reference to the folder's shared, immutable message list as of its last
 * sync (no copy) and the modseq it has told the client about; `sync()` applies
 * `folder.changesSince(told)` (a full compare of the old and new lists when the log does not
 * reach back) and returns the untagged updates in an order that keeps sequence numbers
 * consistent: EXPUNGE (each against the view as it shrinks), EXISTS/RECENT, FLAGS, then
 * FETCH FLAGS. It holds its own UID list only while the client's numbering differs from the
 * folder's: expunges not yet announced (RFC 3501 7.4.1 forbids EXPUNGE during FETCH, STORE
 * and SEARCH). An idle session thus holds a pointer, a few numbers and its \Recent set.
 */
export class MailboxView {
  readonly folder: Folder;
  readonly readOnly: boolean;
  readonly recent = new Set<number>();
  /** The folder's list as of the last sync: the client's numbering when `#uids` is null. */
  #list: readonly MessageMeta[];
  /** The client's numbering while it holds messages the folder no longer has. */
  #uids: number[] | null = null;
  /** The last meta of those messages, so FLAGS keeps their keywords until EXPUNGE is sent. */
  readonly #gone = new Map<number, MessageMeta>();
  /** The folder modseq the client has been told about. */
  #told: number;
  /** Flag states the client already has (own STORE, FETCH) past `#told`: UID → modseq. */
  readonly #echoed = new Map<number, number>();
  /** Flags named in the last FLAGS response. */
  #announced = new Set<string>();

  constructor(folder: Folder, readOnly: boolean) {
    this.folder = folder;
    this.readOnly = readOnly;
    this.#list = folder.messages();
    this.#told = folder.highestModseq;
  }

  get exists(): number {
    return this.#uids ? this.#uids.length : this.#list.length;
  }

  /** The UID at sequence number `seq` (1-based, within `exists`). */
  uidAt(seq: number): number {
    return this.#uids ? this.#uids[seq - 1]! : this.#list[seq - 1]!.uid;
  }

  /** The sequence number of `uid` in the client's view, 0 when it has none. */
  seqOf(uid: number): number {
    return (this.#uids ? find(this.#uids, uid, itself) : find(this.#list, uid, metaUid)) + 1;
  }

  get lastUid(): number {
    const n = this.exists;
    return n === 0 ? 0 : this.uidAt(n);
  }

  /** The message as the folder has it now (after a refresh or own change); undefined when gone. */
  meta(uid: number): MessageMeta | undefined {
    const current = this.folder.messages();
    return current[find(current, uid, metaUid)];
  }

  /** Whether the message still exists in the store (not merely in the client's view). */
  alive(uid: number): boolean {
    return this.meta(uid) !== undefined;
  }

  /** Flags as the client sees them: stored flags plus the session's \Recent. */
  flagsOf(uid: number): string[] {
    const m = this.meta(uid) ?? this.#gone.get(uid);
    const flags = m ? [...m.flags] : [];
    if (this.recent.has(uid)) flags.push('\\Recent');
    return flags;
  }

  /**
   * Marks a message's current flags as told (sent in a FETCH), so the next sync does not
   * repeat them.
   */
  told(uid: number): void {
    const m = this.meta(uid);
    if (m && m.modseq > this.#told) this.#echoed.set(uid, m.modseq);
  }

  /** Records flags changed by this session (after setFlags), so sync does not repeat them. */
  noteFlags(metas: readonly MessageMeta[]): void {
    for (const m of metas) if (m.modseq > this.#told) this.#echoed.set(m.uid, m.modseq);
  }

  /**
   * System flags, every keyword the folder defines and every keyword a message in the
   * client's view carries (also one expunged but not yet announced); remembered as announced.
   */
  announceFlags(): string[] {
    const set = new Set<string>(SYSTEM_FLAGS);
    for (const k of this.folder.keywords()) set.add(k);
    const current = this.folder.messages();
    for (const m of current) for (const f of m.flags) set.add(f);
    if (this.#list !== current) for (const m of this.#list) for (const f of m.flags) set.add(f);
    for (const m of this.#gone.values()) for (const f of m.flags) set.add(f);
    this.#announced = new Set(set);
    return [...set];
  }

  /** FLAGS and PERMANENTFLAGS as sent after SELECT and when a keyword appears. */
  flagsResponses(flags: string[]): Response[] {
    return [
      { type: 'flags', flags },
      {
        type: 'untagged',
        status: 'OK',
        code: { code: 'PERMANENTFLAGS', flags: this.readOnly ? [] : [...flags, '\\*'] },
        text: this.readOnly ? 'no permanent flags' : 'flags permitted',
      },
    ];
  }

  /**
   * FLAGS and PERMANENTFLAGS again when a keyword appeared that the client was not told
   * about (RFC 3501 7.2.6), before any FETCH that carries it. `metas` are the messages that
   * changed; the folder's defined keywords are checked too.
   */
  flagsUpdate(metas: Iterable<MessageMeta> = this.folder.messages()): Response[] {
    let fresh = this.folder.keywords().some((k) => !this.#announced.has(k));
    if (!fresh)
      for (const m of metas) {
        if (m.flags.some((f) => !this.#announced.has(f))) {
          fresh = true;
          break;
        }
      }
    return fresh ? this.flagsResponses(this.announceFlags()) : [];
  }

  /** The \Recent count to report: claimed ones, or (read-only) those nobody claimed yet. */
  recentCount(): number {
    return this.readOnly ? (this.folder.unclaimedRecent?.() ?? 0) : this.recent.size;
  }

  /**
   * Removes UIDs this session expunged itself and returns their EXPUNGE responses, in
   * ascending order, each numbered against the view as it shrinks.
   */
  expungeOwn(uids: readonly number[]): Response[] {
    const own = this.#clientUids();
    const out: Response[] = [];
    for (const uid of [...new Set(uids)].sort((a, b) => a - b)) {
      const i = find(own, uid, itself);
      if (i < 0) continue;
      own.splice(i, 1);
      this.#forget(uid);
      out.push({ type: 'expunge', count: i + 1 });
    }
    if (out.length > 0) {
      this.#uids = own;
      this.#settle();
    }
    return out;
  }

  /**
   * Reads the store's state without telling the client anything yet, so a FETCH does not
   * try to read a message another session already removed.
   */
  async refreshQuietly(): Promise<void> {
    await this.folder.refresh();
  }

  /**
   * Brings the folder up to date and returns the updates for the client. Without
   * `allowExpunge` (during FETCH/STORE/SEARCH) vanished messages stay in the view.
   */
  async sync(allowExpunge: boolean): Promise<Response[]> {
    await this.folder.refresh();
    const lastTold = this.lastUid;
    // Claim \Recent before looking, so RECENT never counts a message EXISTS has not announced.
    const arrived = this.folder.messages().at(-1);
    if (!this.readOnly && arrived && arrived.uid > lastTold)
      for (const uid of await this.folder.claimRecent()) this.recent.add(uid);
    const next = this.folder.messages();
    const modseq = this.folder.highestModseq;
    if (next === this.#list && modseq === this.#told && (this.#uids === null || !allowExpunge)) {
      this.#echoed.clear();
      return [];
    }
    const delta = this.folder.changesSince(this.#told);
    const changed: MessageMeta[] = [];
    let expunged: number[];
    if (delta) {
      for (const m of delta.changed) if (m.uid <= lastTold) changed.push(m);
      expunged = delta.expunged.filter((uid) => uid <= lastTold);
    } else {
      // The log does not reach back: compare the list the client knows with the new one.
      expunged = [];
      let j = 0;
      for (const old of this.#list) {
        while (j < next.length && next[j]!.uid < old.uid) j++;
        const now = next[j];
        if (!now || now.uid !== old.uid) expunged.push(old.uid);
        else if (now !== old && !sameFlags(now.flags, old.flags)) changed.push(now);
      }
    }
    // Messages the client still numbers but the folder no longer has: expunged.
    const client = this.#uids;
    if (client !== null || expunged.length > 0) {
      const held = client ?? this.#list.map((m) => m.uid);
      const gone = new Set(expunged);
      for (const m of this.#list) if (gone.has(m.uid)) this.#gone.set(m.uid, m);
      this.#uids = held;
    }
    const out: Response[] = [];
    if (allowExpunge && this.#uids) {
      const uids = this.#uids;
      for (let i = uids.length - 1; i >= 0; i--) {
        const uid = uids[i]!;
        if (find(next, uid, metaUid) >= 0) continue;
        // Descending order: earlier sequence numbers stay valid for the next EXPUNGE.
        uids.splice(i, 1);
        this.#forget(uid);
        out.push({ type: 'expunge', count: i + 1 });
      }
    }
    const added: number[] = [];
    for (let i = next.length - 1; i >= 0 && next[i]!.uid > lastTold; i--) added.push(next[i]!.uid);
    added.reverse();
    this.#list = next;
    if (this.#uids) this.#uids.push(...added);
    this.#settle();
    if (added.length > 0) {
      out.push({ type: 'exists', count: this.exists });
      out.push({ type: 'recent', count: this.recentCount() });
    }
    out.push(...this.flagsUpdate(changed));
    for (const m of changed) {
      if (this.#echoed.get(m.uid) === m.modseq) continue;
      const seq = this.seqOf(m.uid);
      if (seq === 0 || !this.alive(m.uid)) continue;
      out.push({ type: 'fetch', seq, items: [{ name: 'FLAGS', flags: this.flagsOf(m.uid) }] });
    }
    this.#echoed.clear();
    this.#told = modseq;
    return out;
  }

  #clientUids(): number[] {
    return this.#uids ? [...this.#uids] : this.#list.map((m) => m.uid);
  }

  #forget(uid: number): void {
    this.recent.delete(uid);
    this.#gone.delete(uid);
    this.#echoed.delete(uid);
  }

  /** Drops the own UID list once the client's numbering is the folder's list again. */
  #settle(): void {
    const uids = this.#uids;
    if (!uids) return;
    const list = this.#list;
    if (uids.length !== list.length) return;
    for (let i = 0; i < uids.length; i++) if (uids[i] !== list[i]!.uid) return;
    this.#uids = null;
    this.#gone.clear();
  }
}

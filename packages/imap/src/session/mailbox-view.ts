import { type Folder, type MessageMeta, SYSTEM_FLAGS } from '@mailstack/core';
import type { Response } from '../writer/types.ts';

/**
 * The selected mailbox as this client knows it: the sequence-number view, the flags last
 * told, and \Recent. `sync()` diffs the folder's snapshot against that knowledge and returns
 * the untagged updates in an order that keeps sequence numbers consistent: EXPUNGE first
 * (each against the view as it shrinks), then EXISTS/RECENT, then FETCH FLAGS.
 */
export class MailboxView {
  readonly folder: Folder;
  readonly readOnly: boolean;
  /** UIDs by sequence number - 1, as told to the client. */
  uids: number[] = [];
  /** Flags last sent (or implied) per UID, joined for comparison. */
  readonly known = new Map<number, string>();
  readonly recent = new Set<number>();
  /** Last meta seen per UID, so a message expunged elsewhere still answers until EXPUNGE is sent. */
  readonly #meta = new Map<number, MessageMeta>();

  /** Flags named in the last FLAGS response. */
  readonly #announced = new Set<string>();

  constructor(folder: Folder, readOnly: boolean) {
    this.folder = folder;
    this.readOnly = readOnly;
    this.#adopt();
    for (const m of folder.messages()) {
      this.uids.push(m.uid);
      this.known.set(m.uid, flagKey(m.flags));
    }
  }

  /** System flags plus every keyword in use; remembered as announced. */
  announceFlags(): string[] {
    const set = new Set<string>(SYSTEM_FLAGS);
    for (const uid of this.uids) for (const f of this.#meta.get(uid)?.flags ?? []) set.add(f);
    for (const f of set) this.#announced.add(f);
    return [...set];
  }

  /**
   * FLAGS and PERMANENTFLAGS again when a keyword appeared that the client was not told
   * about (RFC 3501 7.2.6), before any FETCH that carries it.
   */
  flagsUpdate(): Response[] {
    const fresh = this.uids.some((uid) =>
      (this.#meta.get(uid)?.flags ?? []).some((f) => !this.#announced.has(f)),
    );
    if (!fresh) return [];
    const flags = this.announceFlags();
    return [
      { type: 'flags', flags },
      {
        type: 'untagged',
        status: 'OK',
        code: { code: 'PERMANENTFLAGS', flags: this.readOnly ? [] : [...flags, '\\*'] },
        text: 'flags permitted',
      },
    ];
  }

  get exists(): number {
    return this.uids.length;
  }

  meta(uid: number): MessageMeta | undefined {
    return this.#meta.get(uid);
  }

  /** Whether the message still exists in the store (not merely in the client's view). */
  alive(uid: number): boolean {
    return this.#alive.has(uid);
  }

  #alive = new Set<number>();

  /** Takes the folder's snapshot as the current meta. */
  #adopt(): void {
    this.#alive = new Set();
    for (const m of this.folder.messages()) {
      this.#meta.set(m.uid, m);
      this.#alive.add(m.uid);
    }
  }

  /**
   * Reads the store's state without telling the client anything yet, so a FETCH does not
   * try to read a message another session already removed.
   */
  async refreshQuietly(): Promise<void> {
    await this.folder.refresh();
    this.#adopt();
  }

  /** Records flags changed by this session (after setFlags), so sync does not repeat them. */
  noteFlags(metas: readonly MessageMeta[]): void {
    for (const m of metas) {
      this.#meta.set(m.uid, m);
      this.known.set(m.uid, flagKey(m.flags));
    }
  }

  /** Flags as the client sees them: stored flags plus the session's \Recent. */
  flagsOf(uid: number): string[] {
    const flags = [...(this.#meta.get(uid)?.flags ?? [])];
    if (this.recent.has(uid)) flags.push('\\Recent');
    return flags;
  }

  /** Removes UIDs this session expunged itself and returns their EXPUNGE responses. */
  expungeOwn(uids: readonly number[]): Response[] {
    const out: Response[] = [];
    for (const uid of uids) {
      const i = this.uids.indexOf(uid);
      if (i < 0) continue;
      this.uids.splice(i, 1);
      this.known.delete(uid);
      this.recent.delete(uid);
      this.#meta.delete(uid);
      out.push({ type: 'expunge', count: i + 1 });
    }
    this.#adopt();
    return out;
  }

  /** Seq numbers (1-based) and UIDs a set selects, in ascending order. */
  seqOf(uid: number): number {
    return this.uids.indexOf(uid) + 1;
  }

  /**
   * Brings the folder up to date and returns the updates for the client. Without
   * `allowExpunge` (during FETCH/STORE/SEARCH) vanished messages stay in the view.
   */
  async sync(allowExpunge: boolean): Promise<Response[]> {
    await this.folder.refresh();
    this.#adopt();
    const out: Response[] = [];
    if (allowExpunge) {
      for (let i = this.uids.length - 1; i >= 0; i--) {
        const uid = this.uids[i]!;
        if (this.#alive.has(uid)) continue;
        // Descending order: earlier sequence numbers stay valid for the next EXPUNGE.
        this.uids.splice(i, 1);
        this.known.delete(uid);
        this.recent.delete(uid);
        this.#meta.delete(uid);
        out.push({ type: 'expunge', count: i + 1 });
      }
    }
    const last = this.uids.length > 0 ? this.uids[this.uids.length - 1]! : 0;
    const added = this.folder
      .messages()
      .map((m) => m.uid)
      .filter((uid) => uid > last);
    if (added.length > 0) {
      if (!this.readOnly) for (const uid of await this.folder.claimRecent()) this.recent.add(uid);
      for (const uid of added) {
        this.uids.push(uid);
        this.known.set(uid, flagKey(this.#meta.get(uid)?.flags ?? []));
      }
      out.push({ type: 'exists', count: this.uids.length });
      out.push({ type: 'recent', count: this.recent.size });
    }
    out.push(...this.flagsUpdate());
    for (let i = 0; i < this.uids.length; i++) {
      const uid = this.uids[i]!;
      const m = this.#meta.get(uid);
      if (!m || !this.#alive.has(uid)) continue;
      const key = flagKey(m.flags);
      if (this.known.get(uid) === key) continue;
      this.known.set(uid, key);
      out.push({ type: 'fetch', seq: i + 1, items: [{ name: 'FLAGS', flags: this.flagsOf(uid) }] });
    }
    return out;
  }
}

function flagKey(flags: readonly string[]): string {
  return [...flags].sort().join(' ');
}

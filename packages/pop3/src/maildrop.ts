import type { Folder } from '@mailstack/core';

/** One message as the POP3 session numbers it: fixed for the whole session (RFC 1939 §5). */
export interface DropMessage {
  /** 1-based message number. */
  number: number;
  uid: number;
  /** Octets in the wire form (CRLF), what LIST, STAT and RETR count. */
  size: number;
  /** RFC 1939 unique-id: printable, 1-70 chars, stable across sessions and restarts. */
  uidl: string;
}

/**
 * The maildrop of one POP3 session: a snapshot of INBOX taken at login, so messages that
 * arrive later stay invisible until the next session, plus the deletion marks that only a
 * clean QUIT applies.
 */
export class Maildrop {
  readonly folder: Folder;
  readonly #messages: DropMessage[];
  readonly #deleted = new Set<number>();
  readonly #retrieved = new Set<number>();

  constructor(folder: Folder) {
    this.folder = folder;
    // UIDVALIDITY changes whenever UIDs could be reused, so the pair never names two messages.
    this.#messages = folder.messages().map((m, i) => ({
      number: i + 1,
      uid: m.uid,
      size: m.size,
      uidl: `${folder.uidValidity}.${m.uid}`,
    }));
  }

  /** Messages not marked deleted, in number order. */
  live(): DropMessage[] {
    return this.#messages.filter((m) => !this.#deleted.has(m.number));
  }

  /** The message with this number, or null when out of range or marked deleted. */
  get(number: number): DropMessage | null {
    const m = this.#messages[number - 1];
    return m && !this.#deleted.has(number) ? m : null;
  }

  isDeleted(number: number): boolean {
    return this.#deleted.has(number);
  }

  markDeleted(number: number): void {
    this.#deleted.add(number);
  }

  /** RETR of the whole message: it becomes \Seen at UPDATE, as IMAP clients expect. */
  markRetrieved(number: number): void {
    this.#retrieved.add(number);
  }

  /** RSET: unmarks everything. */
  reset(): void {
    this.#deleted.clear();
  }

  stat(): { count: number; octets: number } {
    const live = this.live();
    return { count: live.length, octets: live.reduce((n, m) => n + m.size, 0) };
  }

  /** The UPDATE state: expunges the marked messages through the store; returns how many went. */
  async commit(): Promise<number> {
    const uidOf = (n: number) => (this.#messages[n - 1] as DropMessage).uid;
    const uids = [...this.#deleted].map(uidOf);
    const removed = uids.length > 0 ? await this.folder.expunge(uids) : [];
    const seen = [...this.#retrieved].filter((n) => !this.#deleted.has(n)).map(uidOf);
    this.#deleted.clear();
    this.#retrieved.clear();
    // Best effort: a flag is advice for IMAP clients, never a reason to fail the deletions.
    if (seen.length > 0) await this.folder.setFlags(seen, '+', ['\\Seen']).catch(() => {});
    return removed.length;
  }
}

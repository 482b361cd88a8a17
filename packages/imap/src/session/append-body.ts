import { Readable } from 'node:stream';
import type { MessageBlob } from '@mailstack/core';
import type { IncomingLiteral, ParserEvent } from '../parser/types.ts';

/** How a streamed literal ended. */
export type LiteralOutcome =
  | { kind: 'complete' }
  /** A synchronizing literal refused before `+`: the client never sent it. */
  | { kind: 'refused' }
  | { kind: 'bad'; text: string; fatal: boolean }
  | { kind: 'closed' };

export interface AppendBodySource {
  /** The next parser event of the connection (null once it closed). */
  next(): Promise<ParserEvent | null>;
  /** Sends `+` for a synchronizing literal. */
  sendContinue(): Promise<void>;
  /** Tells the parser the synchronizing literal will not be asked for. */
  refuse(): boolean;
}

/**
 * The message of one APPEND as it comes off the socket: `open()` sends `+` when the client
 * waits for it and gives a Readable of the bytes (each pulled from the connection's queue
 * only when the reader wants more, so the socket pauses instead of memory growing);
 * `finish()` refuses a literal never opened or discards what was not read, and tells how the
 * literal ended. The bytes are read once: the blob handed to the store cannot be re-opened.
 */
export class AppendBody {
  readonly #literal: IncomingLiteral;
  readonly #source: AppendBodySource;
  #opened = false;
  #outcome: LiteralOutcome | undefined;
  #pulling: Promise<void> | null = null;
  #wanted = false;

  constructor(literal: IncomingLiteral, source: AppendBodySource) {
    this.#literal = literal;
    this.#source = source;
  }

  get size(): number {
    return this.#literal.size;
  }

  /** A blob over the incoming bytes, for `Folder.append` (which reads a blob once). */
  async blob(): Promise<MessageBlob> {
    const stream = await this.open();
    let taken = false;
    return {
      size: this.#literal.size,
      open: () => {
        if (taken) throw new Error('an APPEND literal can be read only once');
        taken = true;
        return stream;
      },
    };
  }

  async open(): Promise<Readable> {
    if (this.#opened) throw new Error('APPEND literal already opened');
    this.#opened = true;
    if (this.#literal.sync && this.#literal.size > 0) await this.#source.sendContinue();
    const stream = new Readable({
      highWaterMark: 64 * 1024,
      read: () => {
        this.#wanted = true;
        this.#pulling ??= this.#pull(stream);
      },
    });
    return stream;
  }

  /**
   * Moves events into the stream while it wants more. `read()` may run inside `push()`: it
   * only raises `#wanted`, and the loop clears `#pulling` with no await after its last check,
   * so a wish for more is never lost between the two.
   */
  async #pull(stream: Readable): Promise<void> {
    while (this.#wanted) {
      this.#wanted = false;
      const data = await this.#step();
      if (data) {
        if (stream.push(data)) this.#wanted = true;
        continue;
      }
      const outcome = this.#outcome!;
      if (outcome.kind === 'complete') stream.push(null);
      else stream.destroy(new Error(outcome.kind === 'bad' ? outcome.text : 'connection closed'));
      break;
    }
    this.#pulling = null;
  }

  /** The next bytes, or null once the outcome is known. */
  async #step(): Promise<Buffer | null> {
    if (this.#outcome) return null;
    const ev = await this.#source.next();
    if (ev?.kind === 'literal-data') return ev.data;
    if (ev?.kind === 'literal-end') {
      this.#outcome = ev.ok ? { kind: 'complete' } : { kind: 'bad', text: ev.text, fatal: ev.fatal };
    } else {
      // Nothing else can come before literal-end; a missing event means the connection went.
      this.#outcome = { kind: 'closed' };
    }
    return null;
  }

  /**
   * Ends the literal's part in the session: refuses it if it was never opened and the client
   * still waits for `+`, otherwise discards what is left unread. Resolves with the outcome.
   */
  async finish(): Promise<LiteralOutcome> {
    if (!this.#opened && this.#literal.sync && this.#literal.size > 0 && this.#source.refuse()) {
      this.#outcome = { kind: 'refused' };
    }
    this.#opened = true;
    // A reader may be waiting on an event: let it take that one rather than race it.
    await this.#pulling;
    while (await this.#step()) {}
    return this.#outcome!;
  }
}

import type { SplitItem } from '../line-splitter.ts';
import type { DropMessage } from '../maildrop.ts';
import type { SessionState, StateName } from '../state.ts';

/** What a command handler may do with its session: answer, read more, change state. */
export interface CommandContext {
  readonly state: SessionState;
  /** TLS is active on the connection. */
  readonly tlsActive: boolean;
  /** STLS can be offered: TLS is configured and not yet active. */
  readonly tlsOffered: boolean;
  /** USER/PASS and AUTH PLAIN may be used now (TLS, or the loopback development switch). */
  readonly cleartextAuthAllowed: boolean;
  readonly implementation: string;
  ok(text?: string): Promise<void>;
  err(text: string): Promise<void>;
  /** "+OK first", the lines (dot-stuffed), then ".". */
  multiline(first: string, lines: string[]): Promise<void>;
  /** RETR (all of it) or TOP (header and `bodyLines` lines): streamed, dot-stuffed. */
  sendMessage(message: DropMessage, bodyLines?: number): Promise<void>;
  /** A SASL continuation: sends "+ text" and waits for the client's next line (null: gone). */
  continuation(text: string): Promise<SplitItem | null>;
  /** Checks credentials (throttled), locks and snapshots the maildrop, and answers. */
  login(user: string, password: string): Promise<void>;
  setState(state: SessionState): void;
  startTls(): Promise<void>;
  /** QUIT: UPDATE when in TRANSACTION, then the goodbye and the close. */
  quit(): Promise<void>;
}

/** A command is data plus a handler; the dispatcher checks state and argument count first. */
export interface Pop3Command {
  readonly verb: string;
  readonly states: readonly StateName[];
  readonly minArgs: number;
  readonly maxArgs: number;
  /** The whole rest of the line as one argument (PASS: a password may contain spaces). */
  readonly restOfLine?: boolean;
  handle(ctx: CommandContext, args: string[]): Promise<void>;
}

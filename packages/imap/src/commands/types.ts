import type { Directory, Logger, MailboxStore } from '@mailstack/core';
import type { CommandName, CommandOf, IncomingLiteral } from '../parser/types.ts';
import type { AppendBody } from '../session/append-body.ts';
import type { SessionState, StateName } from '../session/state.ts';
import type { Response, ResponseCode, Status } from '../writer/types.ts';

/** The tagged completion a handler returns; `after` runs once it is written (STARTTLS, LOGOUT). */
export interface Completion {
  status: Status;
  code?: ResponseCode;
  text: string;
  after?: () => Promise<void>;
}

/** What a handler may do with its session. */
export interface SessionContext {
  readonly state: SessionState;
  setState(state: SessionState): Promise<void>;
  readonly store: MailboxStore;
  readonly directory: Directory;
  readonly hostname: string;
  readonly log: Logger;
  readonly tlsActive: boolean;
  /** STARTTLS can be offered: TLS configured and not active. */
  readonly tlsOffered: boolean;
  /** LOGIN/AUTHENTICATE allowed now (TLS, or the loopback development switch). */
  readonly cleartextAuthAllowed: boolean;
  readonly maxAppendSize: number;
  capabilities(): string[];
  /** Writes one untagged (or continuation) response. */
  send(response: Response): Promise<void>;
  sendAll(responses: Iterable<Response>): Promise<void>;
  /** The message of a streamed APPEND, read from the connection as it arrives. */
  appendBody(literal: IncomingLiteral): AppendBody;
  /** Sends `+ text` and reads one raw line (null when the connection went away). */
  readLine(text: string): Promise<string | null>;
  /** Checks credentials with the throttle; on success the state becomes authenticated. */
  login(user: string, password: string): Promise<Completion>;
  startTls(): Promise<void>;
  /** IDLE: pushes updates until the client sends DONE; returns the completion. */
  idle(): Promise<Completion>;
  enable(capability: string): boolean;
  end(): void;
}

/** One command: the states it is valid in, and its handler. */
export interface CommandHandler<N extends CommandName = CommandName> {
  readonly name: N;
  readonly states: readonly StateName[];
  /** EXPUNGE responses may not follow (RFC 3501 7.4.1: FETCH, STORE, SEARCH without UID). */
  readonly noExpungeAfter?: (command: CommandOf<N>) => boolean;
  handle(ctx: SessionContext, command: CommandOf<N>): Promise<Completion>;
}

export function ok(text: string, code?: ResponseCode): Completion {
  return code ? { status: 'OK', code, text } : { status: 'OK', text };
}
export function no(text: string, code?: ResponseCode): Completion {
  return code ? { status: 'NO', code, text } : { status: 'NO', text };
}
export function bad(text: string, code?: ResponseCode): Completion {
  return code ? { status: 'BAD', code, text } : { status: 'BAD', text };
}

/** The selected state or throws: only for handlers that declare `selected` alone. */
export function selected(ctx: SessionContext): Extract<SessionState, { name: 'selected' }> {
  const s = ctx.state;
  if (s.name !== 'selected') throw new Error('handler ran outside the selected state');
  return s;
}

export function userOf(ctx: SessionContext): string {
  const s = ctx.state;
  if (s.name === 'not-authenticated') throw new Error('handler ran before authentication');
  return s.user;
}

export const ANY_STATE = ['not-authenticated', 'authenticated', 'selected'] as const;
export const AUTHENTICATED_STATES = ['authenticated', 'selected'] as const;

import type { Reply } from '@mailstack/core';
import type { SMTPServerSession } from 'smtp-server';

/**
 * The RFC 5321 4.1 commands smtp-server answers only in part (HELP, VRFY) or not at all
 * (EXPN, TURN, ETRN). Each handler gets the command's argument and answers through `reply`;
 * ListenerConnection dispatches to them.
 */
export interface SmtpCommandOptions {
  /**
   * Real VRFY answers for authenticated clients (e.g. `250 2.1.5 <user@example.test>` or
   * `550 5.1.1`). Unauthenticated clients always get `252 2.5.0`: a listener never confirms
   * or denies a local user to them.
   */
  verify?(query: string, session: SMTPServerSession): Promise<Reply>;
  /**
   * EXPN for authenticated clients: the members of a list, or null when it is not one
   * (`550 5.1.1`). Without it, or for an unauthenticated client, EXPN is `502 5.5.1`.
   */
  expand?(list: string, session: SMTPServerSession): Promise<string[] | null>;
  /**
   * ETRN (RFC 1985): `trusted` decides by client address; `start` begins the queue run for
   * the node and gives the reply (`250 2.0.0 Queuing started`, `458 ...`, `459 ...`).
   * Without it ETRN is `502 5.5.1`; an untrusted client gets `458 4.7.0`.
   */
  etrn?: {
    trusted(remoteAddress: string): boolean;
    start(node: string, session: SMTPServerSession): Promise<Reply>;
  };
}

/** What a command handler may use of the connection. */
export interface CommandContext {
  session: SMTPServerSession;
  remoteAddress: string;
  /** Sends one reply; `lines` longer than one make a multi-line reply, each with the enhanced code. */
  reply(code: number, enhanced: string, lines: string | string[]): void;
}

const HELP_TOPICS: Record<string, string> = {
  EHLO: 'EHLO <domain>: start a session and list the extensions',
  HELO: 'HELO <domain>: start a session without extensions',
  MAIL: 'MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME] [SMTPUTF8] [RET=FULL|HDRS] [ENVID=id]',
  RCPT: 'RCPT TO:<address> [NOTIFY=SUCCESS,FAILURE,DELAY|NEVER] [ORCPT=rfc822;address]',
  DATA: 'DATA: send the message, end with <CRLF>.<CRLF>',
  RSET: 'RSET: abort the mail transaction',
  NOOP: 'NOOP: do nothing',
  QUIT: 'QUIT: end the session',
  HELP: 'HELP [command]: this text',
  VRFY: 'VRFY <address>: verify an address (authenticated clients only, if enabled)',
  EXPN: 'EXPN <list>: expand a mailing list (authenticated clients only, if enabled)',
  STARTTLS: 'STARTTLS: switch to TLS (RFC 3207)',
  AUTH: 'AUTH <mechanism> [initial-response]: authenticate (RFC 4954)',
  ETRN: 'ETRN <node>: start the queue for a node (trusted networks only)',
};

/** The command's argument: everything after the verb, trimmed. */
export function argumentOf(command: Buffer | string): string {
  const line = command.toString().trim();
  const space = line.search(/\s/);
  return space < 0 ? '' : line.slice(space).trim();
}

export function help(ctx: CommandContext, arg: string): void {
  if (!arg) {
    ctx.reply(214, '2.0.0', [
      `Commands: ${Object.keys(HELP_TOPICS).join(' ')}`,
      'HELP <command> for details; see RFC 5321',
    ]);
    return;
  }
  const topic = HELP_TOPICS[arg.toUpperCase()];
  ctx.reply(214, '2.0.0', topic ?? `No help for ${arg.slice(0, 64)}; see RFC 5321`);
}

export async function verify(ctx: CommandContext, arg: string, options: SmtpCommandOptions): Promise<void> {
  if (!arg) return ctx.reply(501, '5.5.4', 'Syntax: VRFY <address>');
  if (!options.verify || !ctx.session.user) {
    return ctx.reply(252, '2.5.0', 'Cannot VRFY user, but will accept message and attempt delivery');
  }
  const r = await options.verify(arg, ctx.session);
  ctx.reply(r.code, r.enhanced, r.text);
}

export async function expand(ctx: CommandContext, arg: string, options: SmtpCommandOptions): Promise<void> {
  if (!options.expand || !ctx.session.user) return ctx.reply(502, '5.5.1', 'EXPN not available');
  if (!arg) return ctx.reply(501, '5.5.4', 'Syntax: EXPN <list>');
  const members = await options.expand(arg, ctx.session);
  if (!members || members.length === 0) return ctx.reply(550, '5.1.1', 'Not a list');
  ctx.reply(
    250,
    '2.1.5',
    members.map((m) => `<${m}>`),
  );
}

export function turn(ctx: CommandContext): void {
  ctx.reply(502, '5.5.1', 'TURN not supported');
}

export async function etrn(ctx: CommandContext, arg: string, options: SmtpCommandOptions): Promise<void> {
  if (!options.etrn) return ctx.reply(502, '5.5.1', 'ETRN not available');
  if (!arg) return ctx.reply(501, '5.5.4', 'Syntax: ETRN <node>');
  if (!options.etrn.trusted(ctx.remoteAddress)) {
    return ctx.reply(458, '4.7.0', `Unable to queue messages for node ${arg.slice(0, 255)}`);
  }
  const r = await options.etrn.start(arg, ctx.session);
  ctx.reply(r.code, r.enhanced, r.text);
}

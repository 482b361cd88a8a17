import { expectCode, makeMessage, type SmtpReply, SmtpSession } from './smtp-client.ts';

export { makeMessage };
export type LmtpReply = SmtpReply;

/**
 * The LMTP side of smtp-client.ts: LHLO instead of EHLO, and one reply per accepted
 * recipient after the final dot (RFC 2033).
 */
export class LmtpConnection {
  private readonly session: SmtpSession;

  private constructor(session: SmtpSession) {
    this.session = session;
  }

  /** Connects, reads the greeting and says LHLO; rejects if the server does not pipeline. */
  static async open(host: string, port: number, name = 'bench.client'): Promise<LmtpConnection> {
    const session = await SmtpSession.connect({ host, port });
    expectCode(await session.hello(name, 'LHLO'), 250, 'LHLO');
    if (!session.offers('PIPELINING')) throw new Error('server does not offer PIPELINING');
    return new LmtpConnection(session);
  }

  /**
   * One transaction. `body` is the message with CRLF line ends, already dot-stuffed and
   * ending in CRLF. Returns one reply per recipient (the RCPT reply for a refused one, the
   * post-DATA reply for an accepted one), in recipient order.
   */
  send(from: string, recipients: string[], body: Buffer): Promise<LmtpReply[]> {
    return this.session.transaction(from, recipients, body, true);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

/** An SMTP/LMTP reply: basic code, RFC 3463 enhanced code, human text. */
export interface Reply {
  code: number;
  /** `x.y.z` per RFC 3463; '' when the peer sent none. */
  enhanced: string;
  text: string;
}

/**
 * An error that carries the SMTP reply to give. Thrown by any agent that refuses something,
 * so the protocol layer answers with the right codes instead of a generic 451.
 */
export class SmtpError extends Error {
  readonly code: number;
  readonly enhanced: string;

  constructor(code: number, enhanced: string, text: string) {
    super(text);
    this.name = 'SmtpError';
    this.code = code;
    this.enhanced = enhanced;
  }

  /** 4xx: try again later. */
  get temporary(): boolean {
    return this.code >= 400 && this.code < 500;
  }

  get reply(): Reply {
    return { code: this.code, enhanced: this.enhanced, text: this.message };
  }

  /** `550 5.1.1 text` on one line. */
  override toString(): string {
    return formatReply(this.reply);
  }
}

export function formatReply(r: Reply): string {
  return `${r.code} ${r.enhanced ? `${r.enhanced} ` : ''}${r.text}`;
}

export function isTemporary(r: Reply): boolean {
  return r.code >= 400 && r.code < 500;
}

/** Turns anything thrown into a reply; unknown errors become a local temporary failure. */
export function replyFromError(err: unknown): Reply {
  if (err instanceof SmtpError) return err.reply;
  return { code: 451, enhanced: '4.3.0', text: 'Local error in processing' };
}

/** The outcome for one recipient, in recipient order, from every delivery hop. */
export interface RecipientResult {
  recipient: string;
  reply: Reply;
}

export const ok = (text = 'OK'): Reply => ({ code: 250, enhanced: '2.0.0', text });

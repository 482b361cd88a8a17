import { SmtpError } from '@mailstack/core';

/**
 * Finds what must never be in DATA, across chunk boundaries: a NUL (RFC 5321 2.3.8 allows no
 * NUL; 8BITMIME does not either), and, when asked, a CR not followed by LF or an LF not
 * preceded by CR. Bare line ends are what SMTP smuggling rides on and what makes two parsers
 * of one header section disagree (the MSA's sender check and the next hop's reader), so an
 * agent that refuses them knows every later reader sees the lines it saw.
 *
 * Pure: feed it the chunks in order, then `end()`; each returns the refusal, or undefined.
 */
export class LineEndScanner {
  /** The previous chunk ended with CR: the next byte must be LF. */
  private pendingCr = false;

  private readonly refuseBareLineEnds: boolean;

  constructor(refuseBareLineEnds: boolean) {
    this.refuseBareLineEnds = refuseBareLineEnds;
  }

  feed(chunk: Buffer): SmtpError | undefined {
    if (chunk.indexOf(0) >= 0) return nulRefusal();
    if (!this.refuseBareLineEnds || chunk.length === 0) return undefined;
    // an LF opening the chunk is sound exactly when the last chunk ended with CR
    if ((chunk[0] === 0x0a) !== this.pendingCr) return bareRefusal();
    for (let i = chunk.indexOf(0x0d); i >= 0; i = chunk.indexOf(0x0d, i + 1)) {
      if (i === chunk.length - 1) break; // decided by the next chunk
      if (chunk[i + 1] !== 0x0a) return bareRefusal();
    }
    for (let i = chunk.indexOf(0x0a, 1); i >= 0; i = chunk.indexOf(0x0a, i + 1)) {
      if (chunk[i - 1] !== 0x0d) return bareRefusal();
    }
    this.pendingCr = chunk[chunk.length - 1] === 0x0d;
    return undefined;
  }

  /** The message ended: a CR as its very last byte is bare too. */
  end(): SmtpError | undefined {
    return this.refuseBareLineEnds && this.pendingCr ? bareRefusal() : undefined;
  }
}

export function nulRefusal(): SmtpError {
  return new SmtpError(550, '5.6.0', 'Message contains a NUL byte');
}

export function bareRefusal(): SmtpError {
  return new SmtpError(550, '5.6.0', 'Message contains a bare CR or LF (RFC 5321 2.3.8)');
}

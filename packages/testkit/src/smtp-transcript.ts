import { lineClient } from './line-client.ts';

/** One step of a transcript: optionally send, then optionally wait for replies. */
export interface TranscriptStep {
  /** A string gets CRLF appended unless it already ends with LF; a Buffer is sent as is. */
  send?: string | Buffer;
  /**
   * What the replies of this step must look like. A RegExp is tested against the step's
   * replies joined by LF (multi-line replies keep their lines, joined by LF); a string must
   * be a prefix of every reply of the step (e.g. '250' for each LMTP recipient).
   */
  expect?: RegExp | string;
  /** How many complete replies to wait for (a multi-line `250-…`/`250 …` reply is one). Default 1 with `expect`, else 0. */
  expectLines?: number;
  /** Wait for the server to close the connection (after the replies, if any). */
  expectClose?: boolean;
}

export interface TranscriptOptions {
  /** Per step. Default 5000 ms. */
  timeoutMs?: number;
}

export interface TranscriptResult {
  /** Every line in order: `C: …` sent by us, `S: …` from the server. */
  lines: string[];
  /** Every complete reply received, multi-line replies joined by LF. */
  replies: string[];
}

/** Thrown when a step fails; the message carries the transcript so far. */
export class TranscriptError extends Error {
  readonly lines: string[];
  constructor(message: string, lines: string[]) {
    super(`${message}\n--- transcript ---\n${lines.join('\n')}`);
    this.name = 'TranscriptError';
    this.lines = lines;
  }
}

const FINAL = /^\d{3}(?: |$)/;
const CONTINUED = /^\d{3}-/;

/**
 * Drives a line protocol with SMTP-style replies (SMTP, LMTP) over a raw socket, step by step.
 * The greeting is just a step with `expect` and no `send`. The connection is closed at the
 * end; send `QUIT` as a step to end politely.
 */
export async function smtpTranscript(
  port: number,
  host: string,
  steps: TranscriptStep[],
  options: TranscriptOptions = {},
): Promise<TranscriptResult> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const lines: string[] = [];
  const replies: string[] = [];
  const client = await lineClient(port, host, { timeoutMs });
  try {
    for (const [i, step] of steps.entries()) {
      const label = `step ${i + 1}${step.send !== undefined ? ` (sent ${JSON.stringify(String(step.send).slice(0, 60))})` : ''}`;
      if (step.send !== undefined) {
        const data =
          typeof step.send === 'string' && !step.send.endsWith('\n') ? `${step.send}\r\n` : step.send;
        for (const l of String(data)
          .replace(/\r?\n$/, '')
          .split(/\r?\n/))
          lines.push(`C: ${l}`);
        await client.write(data);
      }
      const want = step.expectLines ?? (step.expect !== undefined ? 1 : 0);
      const got: string[] = [];
      for (let n = 0; n < want; n++) {
        const reply: string[] = [];
        for (;;) {
          let line: string;
          try {
            line = await client.read(timeoutMs);
          } catch (err) {
            throw new TranscriptError(
              `${label}: waiting for reply ${n + 1} of ${want}: ${(err as Error).message}`,
              lines,
            );
          }
          lines.push(`S: ${line}`);
          reply.push(line);
          // Anything that is not a continuation line ends the reply, so a broken server cannot hang us.
          if (FINAL.test(line) || !CONTINUED.test(line)) break;
        }
        got.push(reply.join('\n'));
      }
      replies.push(...got);
      if (step.expect !== undefined) {
        const ok =
          typeof step.expect === 'string'
            ? got.every((r) => r.startsWith(step.expect as string))
            : step.expect.test(got.join('\n'));
        if (!ok)
          throw new TranscriptError(
            `${label}: expected ${String(step.expect)}, got ${JSON.stringify(got)}`,
            lines,
          );
      }
      if (step.expectClose) {
        const timer = new Promise<'timeout'>((r) => setTimeout(r, timeoutMs, 'timeout').unref());
        if ((await Promise.race([client.closed, timer])) === 'timeout') {
          throw new TranscriptError(
            `${label}: expected the server to close the connection within ${timeoutMs} ms`,
            lines,
          );
        }
        lines.push('S: <closed>');
      }
    }
    return { lines, replies };
  } finally {
    await client.close();
  }
}

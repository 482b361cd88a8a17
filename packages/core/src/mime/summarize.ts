import type { MessageSummary } from '../mailbox.ts';
import { DEFAULT_LIMITS, StructureBuilder, type SummarizeLimits } from './structure-builder.ts';
import { WireLineScanner } from './wire-lines.ts';

export type { SummarizeLimits } from './structure-builder.ts';

/**
 * One pass over the message bytes that builds the MIME tree IMAP needs for BODYSTRUCTURE,
 * ENVELOPE and BODY[section] range reads. Offsets are in the wire form (CRLF) whatever line
 * ends the input has. Memory is bounded by the header limits, not by the body size.
 */
export class MessageSummarizer {
  private readonly builder: StructureBuilder;
  private readonly scanner: WireLineScanner;

  constructor(limits: Partial<SummarizeLimits> = {}) {
    this.builder = new StructureBuilder({ ...DEFAULT_LIMITS, ...limits });
    this.scanner = new WireLineScanner(this.builder);
  }

  push(chunk: Buffer): void {
    this.scanner.feed(chunk);
  }

  /** Ends the input; the summarizer must not be used afterwards. */
  finish(): MessageSummary {
    this.scanner.end();
    return this.builder.finish(this.scanner.wire, this.scanner.lfs);
  }
}

export async function summarize(
  input: AsyncIterable<Buffer> | NodeJS.ReadableStream,
  limits?: Partial<SummarizeLimits>,
): Promise<MessageSummary> {
  const s = new MessageSummarizer(limits);
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    s.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  }
  return s.finish();
}

export function summarizeBuffer(buf: Buffer, limits?: Partial<SummarizeLimits>): MessageSummary {
  const s = new MessageSummarizer(limits);
  s.push(buf);
  return s.finish();
}

/**
 * The bridge to the MIME summariser (src/mime/, its own module): loaded on first use so
 * listing and delivery never pay for the parser.
 */
import type { Readable } from 'node:stream';
import type { MessageSummary } from '@mailstack/core';

type Summarize = (input: AsyncIterable<Buffer> | Readable) => Promise<MessageSummary>;
let summarize: Summarize | undefined;

export async function summarizeMessage(input: Readable): Promise<MessageSummary> {
  if (!summarize) summarize = (await import('./mime/summarize.ts')).summarize as Summarize;
  return summarize(input);
}

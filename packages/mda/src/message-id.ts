/** The Message-ID of a message for logs (first 64 KiB of the header only); undefined when absent. */
export function messageIdOf(message: Buffer): string | undefined {
  const head = message.subarray(0, 64 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const header = end >= 0 ? head.slice(0, end) : head;
  const match = /^message-id:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)/im.exec(header);
  return match?.[1]?.replace(/\s+/g, ' ').trim() || undefined;
}

import { type DeliveryTarget, type MailboxStore, readAll, SmtpError } from '@mailstack/core';
import { createLmtpServer } from '@mailstack/mda';
import { memoryDirectory } from '@mailstack/testkit';

export interface LmtpSink {
  readonly port: number;
  /** Deliveries counted per Message-ID (a count above 1 is a duplicate). */
  readonly delivered: Map<string, number>;
  /** Deliveries held right now (while stalled). */
  held(): number;
  /** From now on every delivery (or those of clients that said LHLO `helo`) is held, unanswered, until `release`. */
  stall(helo?: string): void;
  /** Held deliveries end with a 4xx (their client is gone); later ones are delivered. */
  release(): void;
  close(): Promise<void>;
}

/**
 * Our LMTP server (packages/mda) on 127.0.0.1 in front of a counting target instead of a
 * Maildir: it records each delivered message by its Message-ID and can stall, holding every
 * DATA unanswered so the delivering worker keeps its leases, like a slow or hung store.
 * `delayMs` slows every delivery (the reply is sent, and the message counted, after it).
 */
export async function startLmtpSink(options: { users: string[]; delayMs?: number }): Promise<LmtpSink> {
  const delivered = new Map<string, number>();
  let stalled: ((helo: string | undefined) => boolean) | undefined;
  const waiting = new Set<() => void>();
  const target: DeliveryTarget = {
    async deliver(envelope, blob) {
      const text = (await readAll(blob.open())).toString('latin1');
      if (stalled?.(envelope.receivedFrom?.helo)) {
        await new Promise<void>((resolve) => waiting.add(resolve));
        throw new SmtpError(451, '4.3.0', 'Stalled delivery ended');
      }
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      const id = /^Message-ID:\s*(\S+)/im.exec(text)?.[1] ?? '(none)';
      delivered.set(id, (delivered.get(id) ?? 0) + 1);
      return envelope.rcptTo.map((r) => ({
        recipient: r.address,
        reply: { code: 250, enhanced: '2.0.0', text: 'Delivered' },
      }));
    },
  };
  const server = createLmtpServer({
    directory: memoryDirectory({ users: Object.fromEntries(options.users.map((u) => [u, 'x'])) }),
    // Never used: the target replaces the store.
    store: {} as MailboxStore,
    target,
    name: 'sink.test',
    closeTimeoutMs: 200,
  });
  const address = await server.listen(0, '127.0.0.1');
  if (typeof address !== 'object' || address === null || !('port' in address))
    throw new Error('expected a TCP listener');
  const releaseAll = () => {
    for (const resolve of waiting) resolve();
    waiting.clear();
  };
  return {
    port: (address as { port: number }).port,
    delivered,
    held: () => waiting.size,
    stall(helo) {
      stalled = (from) => helo === undefined || from === helo;
    },
    release() {
      stalled = undefined;
      releaseAll();
    },
    async close() {
      releaseAll();
      await server.close();
    },
  };
}

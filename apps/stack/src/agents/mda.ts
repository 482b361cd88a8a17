import { sizeBytes } from '@mailstack/config';
import { createLmtpServer } from '@mailstack/mda';
import type { SharedState } from '../shared.ts';
import { listenAll, type RunningAgent } from './listen.ts';

/** Delivery: LMTP in front of the store (the queue runner's local hop, or Postfix's). */
export async function startMda(shared: SharedState): Promise<RunningAgent> {
  const { config, logger } = shared;
  const [directory, store] = await Promise.all([shared.directory(), shared.store()]);
  return listenAll(
    shared,
    'mda',
    () => 'lmtp',
    () =>
      createLmtpServer({
        directory,
        store,
        logger,
        metrics: shared.metrics,
        name: config.hostname,
        maxConnections: config.limits.lmtpConnections,
        maxMessageSize: sizeBytes(config.limits.messageSize),
      }),
  );
}

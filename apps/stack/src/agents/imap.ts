import { sizeBytes } from '@mailstack/config';
import { createImapServer } from '@mailstack/imap';
import type { SharedState } from '../shared.ts';
import { accessLimits } from './access-limits.ts';
import { listenAll, type RunningAgent } from './listen.ts';

const PROTOCOL = { none: 'imap', starttls: 'imap (STARTTLS)', implicit: 'imaps (TLS)' } as const;

/** IMAP over the store, STARTTLS on the plain port, implicit TLS on the other. */
export async function startImap(shared: SharedState): Promise<RunningAgent> {
  const { config, logger } = shared;
  const [directory, store, authThrottle] = await Promise.all([
    shared.directory(),
    shared.store(),
    shared.authThrottle(),
  ]);
  return listenAll(
    shared,
    'imap',
    (tls) => PROTOCOL[tls],
    (listener, tls) =>
      createImapServer({
        directory,
        store,
        hostname: config.hostname,
        ...(tls ? { tls } : {}),
        implicitTls: listener.tls === 'implicit',
        allowCleartextAuthOnLoopback: config.dev.cleartextAuthOnLoopback,
        authThrottle,
        logger,
        ...accessLimits(config.limits.imap),
        maxAppendSize: sizeBytes(config.limits.appendSize),
      }),
  );
}

import { createPop3Server } from '@mailstack/pop3';
import type { SharedState } from '../shared.ts';
import { accessLimits } from './access-limits.ts';
import { listenAll, type RunningAgent } from './listen.ts';

const PROTOCOL = { none: 'pop3', starttls: 'pop3 (STLS)', implicit: 'pop3s (TLS)' } as const;

/** POP3 over the store, STLS on the plain port, implicit TLS on the other. */
export async function startPop3(shared: SharedState): Promise<RunningAgent> {
  const { config, logger } = shared;
  const [directory, store, authThrottle] = await Promise.all([
    shared.directory(),
    shared.store(),
    shared.authThrottle(),
  ]);
  return listenAll(
    shared,
    'pop3',
    (tls) => PROTOCOL[tls],
    (listener, tls) =>
      createPop3Server({
        directory,
        store,
        hostname: config.hostname,
        ...(tls ? { tls } : {}),
        implicitTls: listener.tls === 'implicit',
        allowCleartextAuthOnLoopback: config.dev.cleartextAuthOnLoopback,
        authThrottle,
        logger,
        ...accessLimits(config.limits.pop3),
      }),
  );
}

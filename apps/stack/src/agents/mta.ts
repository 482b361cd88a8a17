import { durationMs } from '@mailstack/config';
import { createInboundServer } from '@mailstack/mta';
import type { SharedState } from '../shared.ts';
import { listenAll, type RunningAgent } from './listen.ts';
import { smtpListenerLimits } from './smtp-limits.ts';

/** Inbound transfer (port 25's role): mail for our domains from other MTAs, relay only for relayNetworks. */
export async function startMta(shared: SharedState): Promise<RunningAgent> {
  const { config, logger } = shared;
  const [directory, spool] = await Promise.all([shared.directory(), shared.spool()]);
  return listenAll(
    shared,
    'mta',
    () => 'smtp',
    (_listener, tls) =>
      createInboundServer({
        hostname: config.hostname,
        directory,
        spool,
        ...(tls ? { tls } : {}),
        trustedNetworks: config.outbound.relayNetworks,
        pregreetMs: durationMs(config.mta.pregreet),
        maxReceivedHeaders: config.mta.maxReceivedHeaders,
        rejectBareLineEnds: config.mta.rejectBareLineEnds,
        logger,
        metrics: shared.metrics,
        ...smtpListenerLimits(config),
      }),
  );
}

import { createWebServer, folderReady, listenerReady, mailHostFromListeners } from '@mailstack/web';
import type { SharedState } from '../shared.ts';
import { listenAll, type RunningAgent } from './listen.ts';

const WILDCARD = new Set(['0.0.0.0', '::']);

/**
 * The web agent (packages/web): /healthz, /readyz (every other listener of the config accepts
 * TCP, the spool and store folders are there), /metrics (this process's metrics, with the
 * queue read from the spool) and the Thunderbird autoconfig file.
 */
export async function startWebAgent(shared: SharedState): Promise<RunningAgent> {
  const { config, paths, logger } = shared;
  shared.metrics.trackQueue(await shared.spool());
  const readiness = [
    ...config.listeners
      .filter((l) => l.agent !== 'web')
      .map((l) =>
        listenerReady(`${l.agent}:${l.port}`, l.port, WILDCARD.has(l.address) ? '127.0.0.1' : l.address),
      ),
    folderReady('spool', paths.spool),
    folderReady('store', paths.mail),
  ];
  const mailHost = mailHostFromListeners(config.hostname, config.domains[0] as string, config.listeners);
  return listenAll(
    shared,
    'web',
    () => 'http',
    () => createWebServer({ mailHost, metrics: shared.metrics, readiness, logger }),
  );
}

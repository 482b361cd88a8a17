import { readPeerSnapshots } from '@mailstack/metrics';
import { createWebServer, folderReady, listenersReady, mailHostFromListeners } from '@mailstack/web';
import { metricsFolder, type SharedState } from '../shared.ts';
import { listenAll, type RunningAgent } from './listen.ts';

/**
 * The web agent (packages/web): /healthz, /readyz (every other listener of the config accepts
 * TCP, the spool and store folders are there), /metrics (this process's metrics plus what the
 * agents running in other processes counted, with the queue read from the spool) and the
 * Thunderbird autoconfig file.
 */
export async function startWebAgent(shared: SharedState): Promise<RunningAgent> {
  const { config, paths, logger } = shared;
  shared.metrics.trackQueue(await shared.spool());
  const readiness = [
    ...listenersReady(config.listeners),
    folderReady('spool', paths.spool),
    folderReady('store', paths.mail),
  ];
  const metrics = {
    scrape: async () => shared.metrics.scrape(await readPeerSnapshots(metricsFolder(paths))),
  };
  const mailHost = mailHostFromListeners(config.hostname, config.domains[0] as string, config.listeners);
  return listenAll(
    shared,
    'web',
    () => 'http',
    () => createWebServer({ mailHost, metrics, readiness, logger }),
  );
}

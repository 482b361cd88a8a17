import { tcpListeners } from '@mailstack/config';
import { readPeerSnapshots } from '@mailstack/metrics';
import { createWebServer, folderReady, listenersReady, mailHostFromListeners } from '@mailstack/web';
import { metricsFolder, type SharedState } from '../shared.ts';
import { listenAll, type RunningAgent } from './listen.ts';

/**
 * The web agent (packages/web): /healthz, /readyz (every other listener of the config accepts
 * TCP, the spool answers or its folder is there, the store folder is there), /metrics (this process's metrics plus what the
 * agents running in other processes counted, with the queue read from the spool) and the
 * Thunderbird autoconfig file.
 */
export async function startWebAgent(shared: SharedState): Promise<RunningAgent> {
  const { config, paths, logger } = shared;
  const spool = await shared.spool();
  shared.metrics.trackQueue(spool);
  const readiness = [
    ...listenersReady(tcpListeners(config.listeners)),
    config.spool.kind === 'file'
      ? folderReady('spool', paths.spool)
      : { name: 'spool', check: () => spool.get('00000000000000000000000000').then(() => true) },
    folderReady('store', paths.mail),
  ];
  const metrics = {
    scrape: async () => shared.metrics.scrape(await readPeerSnapshots(metricsFolder(paths))),
  };
  const mailHost = mailHostFromListeners(
    config.hostname,
    config.domains[0] as string,
    tcpListeners(config.listeners),
  );
  return listenAll(
    shared,
    'web',
    () => 'http',
    () => createWebServer({ mailHost, metrics, readiness, logger }),
  );
}

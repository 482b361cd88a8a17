import { isSocketListener, socketPath, tcpListeners } from '@mailstack/config';
import { readPeerSnapshots } from '@mailstack/metrics';
import {
  createWebServer,
  folderReady,
  listenersReady,
  mailHostFromListeners,
  socketReady,
} from '@mailstack/web';
import { metricsFolder, type SharedState } from '../shared.ts';
import { listenAll, type RunningAgent } from './listen.ts';

/**
 * The web agent (packages/web): /healthz, /readyz (every other agent of the config accepts
 * connections, on TCP or its unix socket, the spool answers or its folder is there, the store folder is there), /metrics (this process's metrics plus what the
 * agents running in other processes counted, with the queue read from the spool) and the
 * Thunderbird autoconfig file.
 */
export async function startWebAgent(shared: SharedState): Promise<RunningAgent> {
  const { config, paths, logger } = shared;
  const spool = await shared.spool();
  shared.metrics.trackQueue(spool);
  const tcp = tcpListeners(config.listeners);
  // An agent listening only on a unix socket (the mda, for Postfix) is probed there.
  const socketOnly = config.listeners
    .filter(isSocketListener)
    .filter(
      (l, i, all) => !tcp.some((t) => t.agent === l.agent) && all.findIndex((o) => o.agent === l.agent) === i,
    );
  const readiness = [
    ...listenersReady(tcp),
    ...socketOnly.map((l) => socketReady(l.agent, socketPath(paths, l.socket))),
    config.spool.kind === 'file'
      ? folderReady('spool', paths.spool)
      : { name: 'spool', check: () => spool.get('00000000000000000000000000').then(() => true) },
    folderReady('store', paths.mail),
  ];
  const metrics = {
    scrape: async () => shared.metrics.scrape(await readPeerSnapshots(metricsFolder(paths))),
  };
  const mailHost = mailHostFromListeners(config.hostname, config.domains[0] as string, tcp);
  return listenAll(
    shared,
    'web',
    () => 'http',
    () => createWebServer({ mailHost, metrics, readiness, logger }),
  );
}

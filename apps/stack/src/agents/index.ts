import type { AgentName, LoadedConfig } from '@mailstack/config';
import type { Logger } from '@mailstack/core';
import { startSnapshotWriter } from '@mailstack/metrics';
import { configLogger } from '../logging.ts';
import { metricsFolder, openSharedState, type SharedState } from '../shared.ts';
import { startImap } from './imap.ts';
import type { RunningAgent } from './listen.ts';
import { startMda } from './mda.ts';
import { startMsa } from './msa.ts';
import { startMta } from './mta.ts';
import { startPop3 } from './pop3.ts';
import { startQueueRunner } from './queue-runner.ts';
import { startWebAgent } from './web.ts';

export type { RunningAgent } from './listen.ts';

const STARTERS: Record<AgentName, (shared: SharedState) => Promise<RunningAgent>> = {
  mda: startMda,
  'queue-runner': startQueueRunner,
  mta: startMta,
  msa: startMsa,
  imap: startImap,
  pop3: startPop3,
  web: startWebAgent,
};

/**
 * The one wiring point: starts agent `name` from the host config, in `mailstack start` (with
 * the state the process's agents share) or alone in its own process (it opens its own, and
 * closes it with the agent; its logger is the config's unless given).
 */
export async function startAgent(
  name: AgentName,
  loaded: LoadedConfig,
  shared?: SharedState,
  logger?: Logger,
): Promise<RunningAgent> {
  const own = shared ? undefined : openSharedState(loaded, logger ?? configLogger(loaded));
  const state = (shared ?? own) as SharedState;
  try {
    const agent = await STARTERS[name](state);
    if (!own) return agent;
    // Alone in its process: what it counts reaches the web agent's /metrics through a file.
    const snapshots = await startSnapshotWriter({
      dir: metricsFolder(own.paths),
      agent: name,
      metrics: own.metrics,
      onError: (err) => own.logger.warn({ event: 'metrics-snapshot-failed', err: String(err) }),
    }).catch(async (err: unknown) => {
      await agent.close();
      throw err;
    });
    return {
      ...agent,
      async close() {
        await agent.close();
        await snapshots.stop();
        await own.close();
      },
    };
  } catch (err) {
    await own?.close();
    throw err;
  }
}

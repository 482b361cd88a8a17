import type { AgentName, LoadedConfig } from '@mailstack/config';
import type { Logger } from '@mailstack/core';
import { startSnapshotWriter } from '@mailstack/metrics';
import { configLogger } from '../logging.ts';
import { metricsFolder, openSharedState, type SharedState } from '../shared.ts';
import type { RunningAgent } from './listen.ts';

export type { RunningAgent } from './listen.ts';

type Starter = (shared: SharedState) => Promise<RunningAgent>;

/**
 * Each agent's module, loaded only when that agent starts: `mailstack imap` never loads the
 * transfer agent, the queue, mailauth or nodemailer (a process per agent stays its own size).
 */
const STARTERS: Record<AgentName, () => Promise<Starter>> = {
  mda: async () => (await import('./mda.ts')).startMda,
  'queue-runner': async () => (await import('./queue-runner.ts')).startQueueRunner,
  mta: async () => (await import('./mta.ts')).startMta,
  msa: async () => (await import('./msa.ts')).startMsa,
  imap: async () => (await import('./imap.ts')).startImap,
  pop3: async () => (await import('./pop3.ts')).startPop3,
  web: async () => (await import('./web.ts')).startWebAgent,
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
    const start = await STARTERS[name]();
    const agent = await start(state);
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

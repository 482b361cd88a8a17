import type { AgentName, ConfigPaths, LoadedConfig } from '@mailstack/config';
import type { Logger } from '@mailstack/core';
import { type RunningAgent, startAgent } from './agents/index.ts';
import { type DemoAccounts, ensureDemoAccounts } from './demo-accounts.ts';
import { type Endpoint, openSharedState } from './shared.ts';

export type { Endpoint } from './shared.ts';

export interface RunningStack {
  endpoints: Endpoint[];
  /** The demo users when `dev.demoUsers` names some (`npm start`), else null. */
  demo: DemoAccounts | null;
  paths: ConfigPaths;
  /** True when this start made the self-signed certificate. */
  certificateCreated: boolean;
  agents: RunningAgent[];
  close(): Promise<void>;
}

/**
 * Start order: the MDA first (the queue runner delivers to its bound port), then the queue
 * runner, then everything that takes mail or logins in.
 */
export const START_ORDER: readonly AgentName[] = ['mda', 'queue-runner', 'mta', 'msa', 'imap', 'pop3', 'web'];

/**
 * The whole host in one process (`mailstack start`): every agent with a listener in the config,
 * plus the queue runner, through the same startAgent a per-agent process uses, sharing the
 * directory, store, spool, login throttle, certificate and logger.
 */
export async function startStack(
  loaded: LoadedConfig,
  logger: Logger,
  env: Record<string, string | undefined> = process.env,
): Promise<RunningStack> {
  const { config, paths } = loaded;
  const shared = openSharedState(loaded, logger);
  const agents: RunningAgent[] = [];
  const close = async () => {
    for (const agent of [...agents].reverse()) await agent.close().catch(() => {});
    await shared.close();
  };
  try {
    const tls = await shared.tls();
    let demo: DemoAccounts | null = null;
    if (config.dev.demoUsers.length) {
      const domain = config.domains[0] as string;
      demo = await ensureDemoAccounts(
        await shared.directory(),
        paths.data,
        domain,
        config.dev.demoUsers,
        env.MAILSTACK_DEMO_PASSWORD,
      );
      const store = await shared.store();
      for (const user of demo.users) await store.ensureUser(user);
    }
    const wanted = new Set<AgentName>(['queue-runner', ...config.listeners.map((l) => l.agent)]);
    for (const name of START_ORDER) {
      if (wanted.has(name)) agents.push(await startAgent(name, loaded, shared));
    }
    return {
      endpoints: shared.endpoints,
      demo,
      paths,
      certificateCreated: tls.created,
      agents,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

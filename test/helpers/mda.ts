import { join } from 'node:path';
import type { ConfigInput } from '@mailstack/config';
import {
  filesConfig,
  loopback,
  mergeConfig,
  type ServerHandle,
  serverHandle,
  startConfiguredAgent,
} from './mailstack-agent.ts';

/** Repo root, from test/helpers/. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export type MdaProcess = ServerHandle;

/**
 * Starts our MDA as an operator does, `mailstack mda --config FILE`, over the given Maildir
 * root and directory file: one LMTP listener on 127.0.0.1, in its own process group.
 */
export async function startMda(options: {
  data: string;
  directory: string;
  /** Config keys over the helper's (messageSize, lmtpConnections). */
  config?: ConfigInput;
}): Promise<MdaProcess> {
  return serverHandle(
    await startConfiguredAgent(
      'mda',
      mergeConfig(
        {
          ...filesConfig({ directory: options.directory, mail: options.data }),
          listeners: [loopback('mda', 'none')],
        },
        options.config,
      ),
    ),
  );
}

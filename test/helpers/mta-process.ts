import type { ConfigInput } from '@mailstack/config';
import type { Daemon } from './daemon.ts';
import { filesConfig, loopback, mergeConfig, startConfiguredAgent, tcpLine } from './mailstack-agent.ts';

export interface AgentProcess {
  daemon: Daemon;
  host: string;
  port: number;
}

/** The files a transfer agent works on, and what else its config says. */
export interface MtaFiles {
  /** Directory file (packages/directory format; see directory-file.ts). */
  directory: string;
  /** The file spool. */
  spool: string;
  hostname?: string;
  /** With a certificate the listener offers STARTTLS. */
  cert?: { certPath: string; keyPath: string };
  /** Config keys over the helper's. */
  config?: ConfigInput;
}

const mtaConfig = (files: MtaFiles, more: ConfigInput): ConfigInput =>
  mergeConfig(
    {
      ...filesConfig({ directory: files.directory, spool: files.spool, cert: files.cert }),
      ...(files.hostname ? { hostname: files.hostname } : {}),
      ...more,
    },
    files.config,
  );

/**
 * Our inbound transfer agent (port 25's role) as an operator starts it, `mailstack mta --config
 * FILE`, on 127.0.0.1 in its own process group; resolves with the port it printed.
 */
export async function startMtaProcess(files: MtaFiles): Promise<AgentProcess> {
  const { daemon, listening } = await startConfiguredAgent(
    'mta',
    mtaConfig(files, { listeners: [loopback('mta', files.cert ? 'starttls' : 'none')] }),
  );
  const line = tcpLine(listening[0], 'mta');
  return { daemon, host: line.host, port: line.port };
}

/**
 * The delivery worker on the same spool, `mailstack queue-runner --config FILE`: local mail
 * over LMTP to `lmtp`, the rest by MX; resolves once it runs.
 */
export async function startQueueRunnerProcess(
  files: MtaFiles & { lmtp: { host: string; port: number } },
): Promise<Daemon> {
  const { daemon } = await startConfiguredAgent(
    'queue-runner',
    mtaConfig(files, { listeners: [], queue: { lmtp: `${files.lmtp.host}:${files.lmtp.port}` } }),
  );
  return daemon;
}

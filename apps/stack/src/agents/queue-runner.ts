import { durationMs, type MailstackConfig } from '@mailstack/config';
import { createDkimSigner, type RelayHost, startDeliveryWorker } from '@mailstack/mta';
import { ensureDkimKey } from '../dkim.ts';
import type { SharedState } from '../shared.ts';
import type { RunningAgent } from './listen.ts';

const WILDCARD = new Set(['0.0.0.0', '::']);

/**
 * Transfer: drains the spool. Local recipients go to the MDA over LMTP (the same hop Postfix
 * or Dovecot would take), the others by the transport map, the smarthost or MX; mail from our
 * domains is DKIM-signed on the way out, and failures come back to the sender as DSNs.
 */
export async function startQueueRunner(shared: SharedState): Promise<RunningAgent> {
  const { config, paths, logger } = shared;
  const lmtp = lmtpHop(shared);
  const [directory, spool] = await Promise.all([shared.directory(), shared.spool()]);
  const domains: Record<string, { selector: string; privateKey: string }> = {};
  for (const domain of config.domains) {
    const key = await ensureDkimKey(paths.dkim, domain, config.outbound.dkimSelector);
    domains[domain] = { selector: key.selector, privateKey: key.privateKey };
  }
  const signer = createDkimSigner({ domains, logger });
  const smarthost = smarthostOf(config);
  const worker = startDeliveryWorker({
    spool,
    hostname: config.hostname,
    lmtp,
    concurrency: config.queue.concurrency,
    pollMs: durationMs(config.queue.pollInterval),
    transfer: {
      directory,
      prepare: signer.prepare,
      port: config.outbound.mxPort,
      maxConnections: config.outbound.connections,
      maxConnectionsPerDestination: config.outbound.connectionsPerDestination,
      transportMap: config.outbound.transportMap,
      ...(config.dns.servers.length ? { dnsServers: config.dns.servers } : {}),
      ...(smarthost ? { smarthost } : {}),
    },
    logger,
  });
  return { name: 'queue-runner', endpoints: [], close: () => worker.stop() };
}

/** The MDA's LMTP listener: the one started in this process, else the config's first. */
function lmtpHop(shared: SharedState): { host: string; port: number } {
  const running = shared.endpoints.find((e) => e.agent === 'mda');
  const configured = shared.config.listeners.find((l) => l.agent === 'mda');
  const hop = running ?? (configured ? { host: configured.address, port: configured.port } : undefined);
  if (!hop || hop.port === 0) {
    throw new Error('queue-runner: the config has no mda listener with a port to deliver local mail to');
  }
  return { host: WILDCARD.has(hop.host) ? '127.0.0.1' : hop.host, port: hop.port };
}

function smarthostOf(config: MailstackConfig): RelayHost | undefined {
  const s = config.outbound.smarthost;
  if (!s) return undefined;
  const verify = s.verifyCertificate;
  return {
    host: s.host,
    port: s.port,
    protocol: 'smtp',
    tls:
      s.tls === 'none'
        ? { disabled: true }
        : s.tls === 'implicit'
          ? { implicit: true, verify }
          : { required: true, verify },
    ...(s.auth ? { auth: { user: s.auth.user, pass: s.auth.password } } : {}),
  };
}

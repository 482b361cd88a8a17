import { durationMs, lmtpSocket, type MailstackConfig, socketPath } from '@mailstack/config';
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

type LmtpHop = { host: string; port: number } | { socketPath: string };

/**
 * Where local mail goes: `queue.lmtp` when set (Dovecot's LMTP, say: host:port or
 * unix:/path), else the MDA's listener started in this process, else the config's first one.
 */
function lmtpHop(shared: SharedState): LmtpHop {
  const given = shared.config.queue.lmtp;
  if (given) {
    const socket = lmtpSocket(given);
    if (socket !== null) return { socketPath: socketPath(shared.paths, socket) };
    const at = given.lastIndexOf(':');
    return { host: given.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(given.slice(at + 1)) };
  }
  const running = shared.endpoints.find((e) => e.agent === 'mda');
  const configured = shared.config.listeners.find((l) => l.agent === 'mda');
  const hop: LmtpHop | undefined = running
    ? running.path === undefined
      ? { host: running.host, port: running.port }
      : { socketPath: running.path }
    : configured?.socket !== undefined
      ? { socketPath: socketPath(shared.paths, configured.socket) }
      : configured
        ? { host: configured.address, port: configured.port ?? 0 }
        : undefined;
  if (!hop || ('port' in hop && hop.port === 0)) {
    throw new Error(
      'queue-runner: nowhere to deliver local mail: set queue.lmtp, or give the config an mda listener with a port or socket',
    );
  }
  if ('socketPath' in hop) return hop;
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

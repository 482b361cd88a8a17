import { hostname as osHostname } from 'node:os';
import {
  type DeliveryTarget,
  type Directory,
  type Envelope,
  type Logger,
  type MessageBlob,
  type Recipient,
  type RecipientResult,
  type Reply,
  replyFromError,
  silentLogger,
  splitAddress,
} from '@mailstack/core';
import { storageReply } from '@mailstack/smtp';
import type { ClientTimeouts, TlsPolicy } from './client-connection.ts';
import { ConnectionPool } from './connection-pool.ts';
import { cachedDns } from './dns-cache.ts';
import { createDnsResolver, type MailDns } from './dns-resolver.ts';
import { deliverViaHosts, type HopContext, type HopSettings } from './hop-delivery.ts';
import { KeyedLimiter, Limiter } from './limiter.ts';
import type { RelayHost, Route } from './route.ts';
import { createRouter, type ResolveRoute } from './router.ts';
import type { TransportMap } from './transport-map.ts';

export interface TransferTargetOptions {
  /** Our name in EHLO. Default os.hostname(). */
  hostname?: string;
  /** Port of MX hosts. Default 25. */
  port?: number;
  /** DNS servers, `ip` or `ip:port`. Default: the system's. */
  dnsServers?: string[];
  /** Per-try DNS timeout. Default 5000. */
  dnsTimeoutMs?: number;
  /** A ready resolver instead of dnsServers (a fake in unit tests). */
  dns?: MailDns;
  /** Every remote domain goes through this relay instead of MX routing. */
  smarthost?: RelayHost;
  /** Per-domain next hops (`{ 'example.org': 'smtp:[127.0.0.3]:2525' }`); wins over the smarthost. */
  transportMap?: TransportMap;
  /** TLS for MX hosts. Default opportunistic STARTTLS, certificates not checked. */
  tls?: TlsPolicy;
  /** Per destination domain TLS, e.g. `{ 'bank.example': { verify: true } }`. */
  tlsPolicy?: Record<string, TlsPolicy>;
  /** Recipients in a local domain go to `local` instead. `directory` answers when this is absent. */
  isLocal?: (domain: string) => boolean;
  directory?: Pick<Directory, 'isLocalDomain'>;
  /** Where local recipients go (the MDA over LMTP, say). */
  local?: DeliveryTarget;
  /** RCPTs per transaction (RFC 5321 4.5.3.1.8 asks servers to take at least 100). Default 100. */
  maxRecipientsPerTransaction?: number;
  /** Transactions in progress at once, overall. Default 20. */
  maxConnections?: number;
  /** ...and per destination domain (or relay). Default 4. */
  maxConnectionsPerDestination?: number;
  /** How long an idle connection stays open for the next message. Default 5000. */
  idleMs?: number;
  timeouts?: ClientTimeouts;
  /**
   * Runs once per message before remote delivery (the DKIM signer plugs in here); local
   * recipients get the blob as it was.
   */
  prepare?: (envelope: Envelope, blob: MessageBlob) => Promise<MessageBlob>;
  /**
   * How long an MX or address answer is reused before DNS is asked again. Default 0: every
   * message asks, and caching is the local resolver's job (as with Postfix), so record changes
   * show at once.
   */
  dnsCacheMs?: number;
  /** Order of equal-preference MX hosts; default Math.random. */
  random?: () => number;
  logger?: Logger;
}

export type TransferTarget = DeliveryTarget & {
  /** The routing decision alone, for tools and logs. */
  resolveRoute: ResolveRoute;
  /** Closes pooled connections. */
  close(): Promise<void>;
};

/**
 * The outbound worker as the queue's delivery target: recipients grouped by domain, local
 * domains handed to `local`, the others routed (transport map, smarthost, MX) and sent with
 * one transaction per domain. One result per recipient, in recipient order.
 */
export function createTransferTarget(options: TransferTargetOptions = {}): TransferTarget {
  const logger = (options.logger ?? silentLogger).child({ agent: 'mta-out' });
  const dns =
    options.dns ??
    createDnsResolver({
      ...(options.dnsServers ? { servers: options.dnsServers } : {}),
      ...(options.dnsTimeoutMs ? { timeoutMs: options.dnsTimeoutMs } : {}),
    });
  const resolveRoute = createRouter({
    dns: cachedDns(dns, options.dnsCacheMs ?? 0),
    ...(options.smarthost ? { smarthost: options.smarthost } : {}),
    ...(options.transportMap ? { transportMap: options.transportMap } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
  const perDestination = options.maxConnectionsPerDestination ?? 4;
  // as many idle connections per peer as may run at once, so a busy destination never reconnects
  const pool = new ConnectionPool({ idleMs: options.idleMs ?? 5000, maxIdlePerPeer: perDestination });
  const ctx: HopContext = {
    pool,
    overall: new Limiter(options.maxConnections ?? 20),
    perDestination: new KeyedLimiter(perDestination),
    logger,
  };
  const name = options.hostname ?? osHostname();
  const isLocal = options.isLocal ?? ((d: string) => options.directory?.isLocalDomain(d) ?? false);

  const settingsFor = (route: Exclude<Route, { kind: 'null-mx' }>): HopSettings => {
    const common = {
      name,
      maxRecipients: options.maxRecipientsPerTransaction ?? 100,
      ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    };
    if (route.kind === 'relay') {
      const lmtp = route.via.protocol === 'lmtp';
      return {
        ...common,
        port: route.via.port ?? (lmtp ? 24 : 25),
        lmtp,
        tls: route.via.tls ?? {},
        ...(route.via.auth ? { auth: route.via.auth } : {}),
        destination: `relay:${route.via.host}`,
      };
    }
    return {
      ...common,
      port: options.port ?? 25,
      lmtp: false,
      tls: options.tlsPolicy?.[route.domain] ?? options.tls ?? {},
      destination: route.domain,
    };
  };

  const deliverRemote = async (
    domain: string,
    envelope: Envelope,
    blob: MessageBlob,
    recipients: Recipient[],
  ): Promise<Reply[]> => {
    let route: Route;
    try {
      route = await resolveRoute(domain);
    } catch (err) {
      const reply = replyFromError(err);
      logger.warn({ event: 'route-failed', domain, code: reply.code, text: reply.text }, 'no route');
      return recipients.map(() => reply);
    }
    if (route.kind === 'null-mx') {
      const reply = {
        code: 556,
        enhanced: '5.1.10',
        text: `Domain ${domain} does not accept mail (null MX)`,
      };
      return recipients.map(() => reply);
    }
    return deliverViaHosts(ctx, route.hosts, settingsFor(route), envelope, blob, recipients);
  };

  return {
    resolveRoute,
    async deliver(envelope, blob) {
      const results: Reply[] = new Array(envelope.rcptTo.length);
      const groups = new Map<string, number[]>();
      const local: number[] = [];
      envelope.rcptTo.forEach((r, i) => {
        const parts = splitAddress(r.address);
        if (!parts) {
          results[i] = { code: 553, enhanced: '5.1.3', text: `Bad recipient address ${r.address}` };
        } else if (options.local && isLocal(parts.domain)) {
          local.push(i);
        } else {
          groups.set(parts.domain, [...(groups.get(parts.domain) ?? []), i]);
        }
      });

      let remoteBlob: Promise<MessageBlob> | null = null;
      const jobs: Array<Promise<void>> = [];
      if (local.length > 0 && options.local) {
        const target = options.local;
        jobs.push(
          runGroup(local, results, () => target.deliver(subEnvelope(envelope, local), blob).then(replies)),
        );
      }
      for (const [domain, indices] of groups) {
        remoteBlob ??= options.prepare ? options.prepare(envelope, blob) : Promise.resolve(blob);
        const signed = remoteBlob;
        jobs.push(
          runGroup(indices, results, async () =>
            deliverRemote(
              domain,
              envelope,
              await signed,
              indices.map((i) => envelope.rcptTo[i] as Recipient),
            ),
          ),
        );
      }
      await Promise.all(jobs);
      return envelope.rcptTo.map((r, i) => ({ recipient: r.address, reply: results[i] as Reply }));
    },
    async close() {
      pool.close();
    },
  };
}

/** Runs one group's delivery and files its replies; a throw becomes every member's reply. */
async function runGroup(indices: number[], results: Reply[], run: () => Promise<Reply[]>): Promise<void> {
  let replies: Reply[];
  try {
    replies = await run();
  } catch (err) {
    // A store, spool or directory refusal (a local group) through smtp's one mapping.
    const reply = storageReply(err);
    replies = indices.map(() => reply);
  }
  indices.forEach((index, k) => {
    results[index] = replies[k] ?? { code: 451, enhanced: '4.3.0', text: 'No result for this recipient' };
  });
}

function subEnvelope(envelope: Envelope, indices: number[]): Envelope {
  return { ...envelope, rcptTo: indices.map((i) => envelope.rcptTo[i] as Recipient) };
}

const replies = (results: RecipientResult[]): Reply[] => results.map((r) => r.reply);

import { isIP } from 'node:net';
import { SmtpError } from '@mailstack/core';
import { DnsLookupError, type MailDns, type MxRecord } from './dns-resolver.ts';
import type { HopHost, RelayHost, Route } from './route.ts';
import { lookupTransport, type TransportMap } from './transport-map.ts';

export interface RouterOptions {
  dns: MailDns;
  /** Every non-local domain goes here instead of its MX (a smarthost). */
  smarthost?: RelayHost;
  /** Per-domain next hops; wins over the smarthost. */
  transportMap?: TransportMap;
  /** For shuffling equal MX preferences; default Math.random. */
  random?: () => number;
}

export type ResolveRoute = (domain: string) => Promise<Route>;

/**
 * The domain → next hop decision (RFC 5321 5.1, RFC 7505): transport map, smarthost, address
 * literal, else MX (lowest preference first, equal ones shuffled) or the implicit MX.
 * Refusals are SmtpErrors: 5.1.2 for a domain that does not exist, 5.1.10 for a null MX,
 * 4.4.3 when DNS cannot answer now.
 */
export function createRouter(options: RouterOptions): ResolveRoute {
  const { dns } = options;
  const random = options.random ?? Math.random;

  const hostsOf = async (names: Array<{ name: string; preference?: number }>): Promise<HopHost[]> => {
    const settled = await Promise.allSettled(names.map((n) => addressesOf(n.name)));
    const hosts: HopHost[] = [];
    let temporary: unknown = null;
    settled.forEach((r, i) => {
      const n = names[i] as { name: string; preference?: number };
      if (r.status === 'fulfilled') {
        if (r.value.length > 0) hosts.push({ ...n, addresses: r.value });
      } else if (r.reason instanceof DnsLookupError && r.reason.kind === 'temporary') temporary = r.reason;
    });
    if (hosts.length > 0) return hosts;
    if (temporary) throw dnsDefer(String((temporary as Error).message));
    return [];
  };

  const addressesOf = async (name: string): Promise<string[]> => {
    const literal = addressLiteral(name);
    return literal ? [literal] : dns.addresses(name);
  };

  const viaRelay = async (domain: string, via: RelayHost): Promise<Route> => {
    let names: Array<{ name: string; preference?: number }> = [{ name: via.host }];
    if (via.mx && !addressLiteral(via.host)) {
      const mx = await guard(() => dns.mx(via.host), via.host);
      if (mx.length > 0) names = ordered(mx, random);
    }
    const hosts = await guard(() => hostsOf(names), via.host);
    if (hosts.length === 0) throw new SmtpError(451, '4.4.3', `Relay host ${via.host} has no address`);
    return { kind: 'relay', domain, hosts, via };
  };

  return async (rawDomain) => {
    const domain = rawDomain.toLowerCase();
    const mapped = options.transportMap ? lookupTransport(options.transportMap, domain) : null;
    if (mapped) return viaRelay(domain, mapped);
    if (options.smarthost) return viaRelay(domain, options.smarthost);

    const literal = addressLiteral(domain);
    if (literal)
      return { kind: 'mx', domain, implicit: true, hosts: [{ name: literal, addresses: [literal] }] };

    const mx = await guard(() => dns.mx(domain), domain);
    if (mx.length > 0) {
      const real = mx.filter((r) => r.exchange !== '' && r.exchange !== '.');
      // RFC 7505 3: a null MX is the domain's only MX record; a stray one beside real MXes is ignored
      if (real.length === 0) return { kind: 'null-mx', domain };
      const hosts = await guard(() => hostsOf(ordered(real, random)), domain);
      if (hosts.length === 0) throw new SmtpError(550, '5.4.4', `No MX host of ${domain} has an address`);
      return { kind: 'mx', domain, implicit: false, hosts };
    }
    // RFC 5321 5.1: no MX records → the domain itself is the one host (implicit MX)
    const hosts = await guard(() => hostsOf([{ name: domain, preference: 0 }]), domain);
    if (hosts.length === 0) throw new SmtpError(550, '5.1.2', `Domain ${domain} has no MX and no address`);
    return { kind: 'mx', domain, implicit: true, hosts };
  };
}

/** Lowest preference first; equal preferences in random order (RFC 5321 5.1 spreads the load). */
function ordered(records: MxRecord[], random: () => number): Array<{ name: string; preference: number }> {
  const keyed = records.map((r) => ({ name: r.exchange, preference: r.priority, key: random() }));
  keyed.sort((a, b) => a.preference - b.preference || a.key - b.key);
  return keyed.map(({ name, preference }) => ({ name, preference }));
}

/** `[192.0.2.1]`, `[IPv6:2001:db8::1]` or a bare IP → the address; a name → null. */
function addressLiteral(host: string): string | null {
  const inner = /^\[(.*)\]$/.exec(host)?.[1] ?? host;
  const ip = inner.replace(/^ipv6:/i, '');
  return isIP(ip) ? ip : null;
}

async function guard<T>(lookup: () => Promise<T>, name: string): Promise<T> {
  try {
    return await lookup();
  } catch (err) {
    if (err instanceof SmtpError) throw err;
    if (err instanceof DnsLookupError && err.kind === 'not-found') {
      throw new SmtpError(550, '5.1.2', `Domain ${name} not found`);
    }
    throw dnsDefer(err instanceof Error ? err.message : String(err));
  }
}

function dnsDefer(detail: string): SmtpError {
  return new SmtpError(451, '4.4.3', `DNS lookup failed, will retry: ${detail}`);
}

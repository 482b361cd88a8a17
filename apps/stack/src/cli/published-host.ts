import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { isLoopback } from '@mailstack/core';
import type { MailHost, ServiceEndpoint } from '@mailstack/web';
import type { StackConfig } from '../defaults.ts';

/**
 * What `dns-records` and `client-config` need from a host's config: its names, the public
 * listeners with their TLS modes and bind addresses, and where the DKIM key lives. Any config
 * shape maps onto it in a few lines (`publishedHostOf` does it for StackConfig).
 */
export interface PublishedHost {
  hostname: string;
  domain: string;
  listeners: Array<ServiceEndpoint & { address: string }>;
  /** The folder ensureDkimKey keeps the domain's key and TXT record in. */
  dkimDir: string;
}

export function publishedHostOf(config: StackConfig): PublishedHost {
  const at = (protocol: ServiceEndpoint['protocol'], port: number, tls: ServiceEndpoint['tls']) => ({
    protocol,
    port,
    tls,
    address: config.bindAddress,
  });
  const p = config.ports;
  return {
    hostname: config.hostname,
    domain: config.domain,
    listeners: [
      at('imap', p.imaps, 'implicit'),
      at('imap', p.imap, 'starttls'),
      at('pop3', p.pop3s, 'implicit'),
      at('pop3', p.pop3, 'starttls'),
      at('submission', p.submissions, 'implicit'),
      at('submission', p.submission, 'starttls'),
      at('smtp', p.mta, 'starttls'),
    ],
    dkimDir: join(config.dataDir, 'dkim'),
  };
}

export function mailHostOf(host: PublishedHost): MailHost {
  return {
    hostname: host.hostname,
    domain: host.domain,
    services: host.listeners.map(({ protocol, port, tls }) => ({ protocol, port, tls })),
  };
}

/**
 * The addresses to publish for the host name: the listeners' own when they bind a public
 * one, the machine's non-loopback ones when they bind every address, none (with the reason)
 * when they bind loopback only.
 */
export function publicAddresses(
  host: PublishedHost,
  interfaces = networkInterfaces(),
): { addresses: string[]; note?: string } {
  const binds = [...new Set(host.listeners.map((l) => l.address))];
  const wildcard = binds.some((a) => a === '0.0.0.0' || a === '::' || a === '');
  const explicit = binds.filter((a) => a !== '0.0.0.0' && a !== '::' && a !== '' && !isLoopback(a));
  const found = wildcard
    ? Object.values(interfaces)
        .flat()
        .filter((i) => i && !i.internal && !i.address.startsWith('fe80:'))
        .map((i) => i?.address as string)
    : [];
  const addresses = [...new Set([...explicit, ...found])];
  if (addresses.length > 0) return { addresses };
  return { addresses, note: `listeners bind ${binds.join(', ')}` };
}

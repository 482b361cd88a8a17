import { networkInterfaces } from 'node:os';
import { type LoadedConfig, tcpListeners } from '@mailstack/config';
import { isLoopback } from '@mailstack/core';
import { type ListenerLike, type MailHost, mailHostFromListeners } from '@mailstack/web';
import type { Command, CommandIo } from './command.ts';
import { takeConfigFlag, withConfig } from './with-config.ts';

/**
 * What `dns-records` and `client-config` need from a host's config: its names, its listeners
 * (shaped as the config file lists them: agent, address, port, TLS mode) and where the DKIM
 * key lives. From `@mailstack/config`'s LoadedConfig: `{ hostname: config.hostname, domain:
 * config.domains[0], listeners: config.listeners, dkimDir: paths.dkim, dkimSelector:
 * config.outbound.dkimSelector }`.
 */
export interface PublishedHost {
  hostname: string;
  domain: string;
  listeners: ReadonlyArray<ListenerLike & { address: string }>;
  /** The folder ensureDkimKey keeps the domain's key and TXT record in. */
  dkimDir: string;
  dkimSelector?: string;
}

/** The same from the loaded host config. */
export function publishedHostOf({ config, paths }: LoadedConfig): PublishedHost {
  return {
    hostname: config.hostname,
    domain: config.domains[0] as string,
    listeners: tcpListeners(config.listeners),
    dkimDir: paths.dkim,
    dkimSelector: config.outbound.dkimSelector,
  };
}

export function mailHostOf(host: PublishedHost): MailHost {
  return mailHostFromListeners(host.hostname, host.domain, host.listeners);
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/**
 * The addresses to publish for the host name: the public listeners' own when they bind a
 * public one, the machine's non-loopback ones when they bind every address, none (with the
 * reason) when they bind loopback only. LMTP and web are not public, so they do not count.
 */
export function publicAddresses(
  host: PublishedHost,
  interfaces = networkInterfaces(),
): { addresses: string[]; note?: string } {
  const binds = [
    ...new Set(host.listeners.filter((l) => l.agent !== 'mda' && l.agent !== 'web').map((l) => l.address)),
  ];
  const explicit = binds.filter((a) => !WILDCARDS.has(a) && !isLoopback(a));
  const found = binds.some((a) => WILDCARDS.has(a))
    ? Object.values(interfaces)
        .flat()
        .filter((i) => i && !i.internal && !i.address.startsWith('fe80:'))
        .map((i) => i?.address as string)
    : [];
  const addresses = [...new Set([...explicit, ...found])];
  if (addresses.length > 0) return { addresses };
  return { addresses, note: `listeners bind ${binds.join(', ')}` };
}

/**
 * The command-table entry of a command that works on the published host (`client-config`,
 * `dns-records`): `--config` taken out and loaded first, then `run` with the rest.
 */
export function publishedHostCommand(
  meta: Pick<Command, 'name' | 'summary' | 'usage'>,
  run: (argv: string[], io: CommandIo, host: PublishedHost) => Promise<number>,
): Command {
  return {
    ...meta,
    run(argv, io) {
      const { file, rest } = takeConfigFlag(argv);
      return withConfig(file, io, (loaded) => run(rest, io, publishedHostOf(loaded)));
    },
  };
}

import type { RelayHost } from './route.ts';

/**
 * A transport map entry, Postfix style: `smtp:[127.0.0.3]:2525` (that address, no MX lookup),
 * `smtp:relay.example:2525` (the MX of relay.example), `lmtp:[127.0.0.1]:24`. A RelayHost
 * object is taken as is.
 */
export type TransportEntry = string | RelayHost;

/** Domain → entry; `.example.org` also matches every subdomain of example.org. */
export type TransportMap = Record<string, TransportEntry>;

export function parseTransport(entry: TransportEntry): RelayHost {
  if (typeof entry !== 'string') return entry;
  const m = /^(smtp|lmtp):(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(entry.trim());
  if (!m) throw new Error(`Bad transport entry ${JSON.stringify(entry)}: want smtp:[host]:port`);
  const protocol = (m[1] as string).toLowerCase() as 'smtp' | 'lmtp';
  const host = m[2] as string;
  const bracketed = host.startsWith('[');
  return {
    protocol,
    host: bracketed ? host.slice(1, -1) : host,
    mx: !bracketed && protocol === 'smtp',
    ...(m[3] ? { port: Number(m[3]) } : {}),
  };
}

/** The entry for a domain: exact match first, then `.parent` entries from the closest up. */
export function lookupTransport(map: TransportMap, domain: string): RelayHost | null {
  const d = domain.toLowerCase();
  const exact = map[d];
  if (exact) return parseTransport(exact);
  const labels = d.split('.');
  for (let i = 1; i < labels.length; i++) {
    const entry = map[`.${labels.slice(i).join('.')}`];
    if (entry) return parseTransport(entry);
  }
  return null;
}

import { Resolver } from 'node:dns/promises';

/** A DNS answer that says nothing exists (NXDOMAIN) versus one that says try later. */
export class DnsLookupError extends Error {
  /** 'not-found': the name does not exist; 'temporary': SERVFAIL, timeout, refused... */
  readonly kind: 'not-found' | 'temporary';
  constructor(kind: 'not-found' | 'temporary', message: string) {
    super(message);
    this.name = 'DnsLookupError';
    this.kind = kind;
  }
}

export interface MxRecord {
  exchange: string;
  priority: number;
}

/** The lookups routing needs; a fake can stand in for tests. */
export interface MailDns {
  /** MX records; [] when the name exists without MX (NODATA). Throws DnsLookupError. */
  mx(domain: string): Promise<MxRecord[]>;
  /** A then AAAA addresses; [] when the name exists without either. Throws DnsLookupError. */
  addresses(host: string): Promise<string[]>;
}

export interface DnsResolverOptions {
  /** `ip` or `ip:port` (`[v6]:port`); default: the system's resolvers. */
  servers?: string[];
  /** Per-try timeout. Default 5000. */
  timeoutMs?: number;
  /** Tries per query. Default 2. */
  tries?: number;
}

const NOT_FOUND = new Set(['ENOTFOUND']);
const NO_DATA = new Set(['ENODATA']);

/** node:dns with the error codes sorted into not-found, no-data and temporary. */
export function createDnsResolver(options: DnsResolverOptions = {}): MailDns {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 5000, tries: options.tries ?? 2 });
  if (options.servers && options.servers.length > 0) resolver.setServers(options.servers);

  const lookup = async <T>(what: string, name: string, run: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await run();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (NO_DATA.has(code)) return [];
      if (NOT_FOUND.has(code)) throw new DnsLookupError('not-found', `${what} ${name}: not found`);
      throw new DnsLookupError('temporary', `${what} ${name}: ${code || String(err)}`);
    }
  };

  return {
    async mx(domain) {
      const records = await lookup('MX', domain, () => resolver.resolveMx(domain));
      return records.map((r) => ({ exchange: r.exchange, priority: r.priority }));
    },
    async addresses(host) {
      const [v4, v6] = await Promise.allSettled([
        lookup('A', host, () => resolver.resolve4(host)),
        lookup('AAAA', host, () => resolver.resolve6(host)),
      ]);
      if (v4.status === 'fulfilled' && v6.status === 'fulfilled') return [...v4.value, ...v6.value];
      // one family answering is enough to deliver; report a failure only when neither does
      if (v4.status === 'fulfilled' && v4.value.length > 0) return v4.value;
      if (v6.status === 'fulfilled' && v6.value.length > 0) return v6.value;
      const errors = [v4, v6].flatMap((r) => (r.status === 'rejected' ? [r.reason as DnsLookupError] : []));
      throw errors.find((e) => e.kind === 'temporary') ?? errors[0];
    },
  };
}

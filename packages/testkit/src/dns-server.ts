import { createSocket, type RemoteInfo } from 'node:dgram';
import dnsPacket, { type Answer, type Question } from 'dns-packet';

/**
 * What one name answers. A name that is absent from the zone is NXDOMAIN; a name that is
 * present but has no record of the asked type answers NOERROR with no data.
 */
export interface DnsRecords {
  /** MX records; `exchange: '.'` is a null MX (RFC 7505). */
  mx?: Array<{ preference: number; exchange: string }>;
  /** Shorthand for `mx: [{ preference: 0, exchange: '.' }]`. */
  nullMx?: boolean;
  a?: string[];
  aaaa?: string[];
  /** Each string is one TXT record (split into 255-byte chunks on the wire). */
  txt?: string[];
  /** Answer every query for this name with SERVFAIL (a broken upstream). */
  servfail?: boolean;
  /** Never answer queries for this name (a resolver timeout). */
  drop?: boolean;
}

/** Names (case-insensitive, trailing dot optional) to their records. */
export type DnsZone = Record<string, DnsRecords>;

export interface DnsServerOptions {
  zone?: DnsZone;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** TTL of every answer. Default 60. */
  ttl?: number;
}

export interface DnsServer {
  readonly host: string;
  readonly port: number;
  /** `host:port`, as node:dns `Resolver.setServers` takes it. */
  readonly address: string;
  /** Questions seen so far, `TYPE name` in arrival order. */
  readonly queries: readonly string[];
  /** Adds or replaces one name's records. */
  set(name: string, records: DnsRecords): void;
  /** Removes one name (it becomes NXDOMAIN). */
  remove(name: string): void;
  /** Replaces the whole zone. */
  replace(zone: DnsZone): void;
  close(): Promise<void>;
}

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

const normalize = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/**
 * A tiny authoritative DNS server over UDP for tests and demos: MX, A, AAAA and TXT from an
 * in-memory zone that can change while it runs (a failover test flips records mid-test).
 */
export async function startDnsServer(options: DnsServerOptions = {}): Promise<DnsServer> {
  const ttl = options.ttl ?? 60;
  const zone = new Map<string, DnsRecords>();
  const queries: string[] = [];
  const replace = (next: DnsZone) => {
    zone.clear();
    for (const [name, records] of Object.entries(next)) zone.set(normalize(name), records);
  };
  replace(options.zone ?? {});

  const answersFor = (q: Question, records: DnsRecords): Answer[] => {
    const base = { name: q.name, ttl, class: 'IN' as const };
    switch (q.type) {
      case 'MX': {
        const mx = records.nullMx ? [{ preference: 0, exchange: '.' }] : (records.mx ?? []);
        // dns-packet writes the root name as '' (a single zero byte)
        return mx.map((m) => ({
          ...base,
          type: 'MX' as const,
          data: { preference: m.preference, exchange: m.exchange === '.' ? '' : m.exchange },
        }));
      }
      case 'A':
        return (records.a ?? []).map((ip) => ({ ...base, type: 'A' as const, data: ip }));
      case 'AAAA':
        return (records.aaaa ?? []).map((ip) => ({ ...base, type: 'AAAA' as const, data: ip }));
      case 'TXT':
        return (records.txt ?? []).map((text) => ({ ...base, type: 'TXT' as const, data: chunks(text) }));
      default:
        return [];
    }
  };

  const socket = createSocket('udp4');
  socket.on('message', (msg: Buffer, from: RemoteInfo) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return; // not DNS: ignore, as a real server would
    }
    const q = query.questions?.[0];
    if (!q) return;
    queries.push(`${q.type} ${normalize(q.name)}`);
    const records = zone.get(normalize(q.name));
    if (records?.drop) return;
    let rcode: number = RCODE.NOERROR;
    let answers: Answer[] = [];
    if (!records) rcode = RCODE.NXDOMAIN;
    else if (records.servfail) rcode = RCODE.SERVFAIL;
    else answers = answersFor(q, records);
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | rcode,
      questions: [q],
      answers,
    });
    socket.send(reply, from.port, from.address);
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const port = socket.address().port;

  return {
    host,
    port,
    address: `${host}:${port}`,
    queries,
    set(name, records) {
      zone.set(normalize(name), records);
    },
    remove(name) {
      zone.delete(normalize(name));
    },
    replace,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** TXT character-strings hold at most 255 bytes each. */
function chunks(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255));
  return out.length > 0 ? out : [Buffer.alloc(0)];
}

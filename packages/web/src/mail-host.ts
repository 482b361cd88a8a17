/** How a client reaches one service: TLS from the first byte, STARTTLS, or none. */
export type TlsMode = 'implicit' | 'starttls' | 'none';

/** A service a mail client or another MTA connects to. */
export interface ServiceEndpoint {
  protocol: 'imap' | 'pop3' | 'submission' | 'smtp';
  port: number;
  tls: TlsMode;
}

/**
 * What clients and DNS need to know about one mail host: the name they connect to, the mail
 * domain, and the public services. The builders here (autoconfig, DNS records, client
 * settings) all read this one shape, so they cannot disagree.
 */
export interface MailHost {
  /** The name clients connect to and the MX target, e.g. `mail.example.test`. */
  hostname: string;
  /** The mail domain (the part after @), e.g. `example.test`. */
  domain: string;
  services: ServiceEndpoint[];
}

/** The well-known ports (RFC 8314 implicit TLS first, RFC 6409 submission, RFC 5321 port 25). */
export const STANDARD_SERVICES: readonly ServiceEndpoint[] = [
  { protocol: 'imap', port: 993, tls: 'implicit' },
  { protocol: 'imap', port: 143, tls: 'starttls' },
  { protocol: 'pop3', port: 995, tls: 'implicit' },
  { protocol: 'pop3', port: 110, tls: 'starttls' },
  { protocol: 'submission', port: 465, tls: 'implicit' },
  { protocol: 'submission', port: 587, tls: 'starttls' },
  { protocol: 'smtp', port: 25, tls: 'starttls' },
];

/** This protocol's services, implicit TLS first (RFC 8314 3: prefer it over STARTTLS). */
export function servicesOf(host: MailHost, protocol: ServiceEndpoint['protocol']): ServiceEndpoint[] {
  const rank = { implicit: 0, starttls: 1, none: 2 } as const;
  return host.services.filter((s) => s.protocol === protocol).sort((a, b) => rank[a.tls] - rank[b.tls]);
}

/** A listener as the host config lists it (`@mailstack/config`'s ListenerConfig fits). */
export interface ListenerLike {
  agent: string;
  port: number;
  tls: TlsMode;
}

/** The agents clients and other MTAs connect to, and the service each one is. */
const SERVICE_OF_AGENT: Record<string, ServiceEndpoint['protocol']> = {
  msa: 'submission',
  mta: 'smtp',
  imap: 'imap',
  pop3: 'pop3',
};

/** The public services among a host's listeners (LMTP and web are not for mail clients). */
export function mailHostFromListeners(
  hostname: string,
  domain: string,
  listeners: readonly ListenerLike[],
): MailHost {
  const services = listeners.flatMap(({ agent, port, tls }) => {
    const protocol = SERVICE_OF_AGENT[agent];
    return protocol ? [{ protocol, port, tls }] : [];
  });
  return { hostname, domain, services };
}

import type { TlsPolicy } from './client-connection.ts';

/** One next-hop host: its name (for SNI and logs) and the addresses to try, in order. */
export interface HopHost {
  name: string;
  /** MX preference; absent for a relay host. */
  preference?: number;
  addresses: string[];
}

/**
 * A fixed next hop instead of MX routing: a smarthost for everything, or one domain's entry
 * in the transport map.
 */
export interface RelayHost {
  /** A name or an address literal; `[...]` (or an IP) is used as is, without an MX lookup. */
  host: string;
  /** Default 25 (24 for LMTP). */
  port?: number;
  /** Default 'smtp'. */
  protocol?: 'smtp' | 'lmtp';
  /** Look up MX records for `host` first (Postfix's unbracketed form). Default false. */
  mx?: boolean;
  auth?: { user: string; pass: string };
  tls?: TlsPolicy;
}

/** Where one destination domain's mail goes. */
export type Route =
  | { kind: 'mx'; domain: string; hosts: HopHost[]; implicit: boolean }
  | { kind: 'relay'; domain: string; hosts: HopHost[]; via: RelayHost }
  | { kind: 'null-mx'; domain: string };

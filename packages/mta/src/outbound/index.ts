// The outbound half of the transfer agent: routing (MX, null MX, smarthost, transport map),
// the SMTP/LMTP client with a connection pool, and the queue's delivery targets.
export type { ClientTimeouts, TlsPolicy } from './client-connection.ts';
export {
  createDnsResolver,
  DnsLookupError,
  type DnsResolverOptions,
  type MailDns,
  type MxRecord,
} from './dns-resolver.ts';
export { createLmtpTarget, type LmtpTargetOptions } from './lmtp-target.ts';
export type { HopHost, RelayHost, Route } from './route.ts';
export { createRouter, type ResolveRoute, type RouterOptions } from './router.ts';
export { createTransferTarget, type TransferTarget, type TransferTargetOptions } from './transfer-target.ts';
export { lookupTransport, parseTransport, type TransportEntry, type TransportMap } from './transport-map.ts';

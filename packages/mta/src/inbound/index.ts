export { createInboundServer, INBOUND_DEFAULTS } from './inbound-server.ts';
export type {
  AuthenticationChecks,
  DnsResolver,
  InboundCheck,
  InboundCheckContext,
  InboundCheckStage,
  InboundServerOptions,
  InboundVerdict,
} from './options.ts';
export { type InboundReceivedInfo, inboundProtocol, inboundReceived } from './received.ts';
export { trustedNetworks } from './trusted-networks.ts';

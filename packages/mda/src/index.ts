export { deliverLda, type LdaOptions, type LdaOutcome } from './lda.ts';
export { createLmtpServer, type LmtpServerOptions } from './lmtp-server.ts';
export { createLocalDelivery, deliver, type LocalDeliveryOptions } from './local-delivery.ts';
export { type LocalMailSystem, openLocalMailSystem } from './local-system.ts';
export { EX, exitCodeFor } from './sysexits.ts';
export { prefixedBlob, traceHeaders } from './trace-headers.ts';

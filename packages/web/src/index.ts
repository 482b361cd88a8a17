export { autoconfigXml } from './autoconfig.ts';
export { clientSettingsText } from './client-settings.ts';
export { type DnsRecordsInput, dnsRecords, txt } from './dns-records.ts';
export {
  type ListenerLike,
  type MailHost,
  mailHostFromListeners,
  type ServiceEndpoint,
  STANDARD_SERVICES,
  servicesOf,
  type TlsMode,
} from './mail-host.ts';
export {
  folderReady,
  listenerReady,
  listenersReady,
  notReady,
  type ReadinessCheck,
  socketReady,
} from './readiness.ts';
export {
  createWebServer,
  type MetricsSource,
  startWebAgent,
  type WebAgent,
  type WebAgentOptions,
  type WebServer,
} from './web-agent.ts';

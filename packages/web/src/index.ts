export { autoconfigXml } from './autoconfig.ts';
export { clientSettingsText } from './client-settings.ts';
export { type DnsRecordsInput, dnsRecords, txt } from './dns-records.ts';
export {
  type MailHost,
  type ServiceEndpoint,
  STANDARD_SERVICES,
  servicesOf,
  type TlsMode,
} from './mail-host.ts';
export { folderReady, listenerReady, notReady, type ReadinessCheck } from './readiness.ts';
export { type MetricsSource, startWebAgent, type WebAgent, type WebAgentOptions } from './web-agent.ts';

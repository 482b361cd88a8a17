export { type RunningAgent, startAgent } from './agents/index.ts';
export { banner } from './banner.ts';
export { runMailstack } from './cli/dispatch.ts';
export { devConfig, withDevSwitch } from './defaults.ts';
export { type Endpoint, openSharedState, type SharedState } from './shared.ts';
export { type RunningStack, START_ORDER, startStack } from './start.ts';
export { ensureCertificate, type TlsMaterial } from './tls.ts';
export { openTlsSource, type TlsPair, type TlsSource } from './tls-source.ts';

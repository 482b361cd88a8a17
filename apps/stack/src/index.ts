export { banner } from './banner.ts';
export { defaultConfig, type StackConfig } from './defaults.ts';
export { type Endpoint, type RunningStack, startStack } from './start.ts';
export { ensureCertificate, type TlsMaterial } from './tls.ts';

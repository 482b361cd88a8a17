import type { LoadedConfig } from '@mailstack/config';
import { devConfig } from '../src/index.ts';

/**
 * What `npm start` runs on, with its data in `dataDir`, every listener on an ephemeral port (no
 * test may collide with a running `npm start`) and MX lookups through `dnsServers` on port 1,
 * so nothing leaves 127.0.0.0/8.
 */
export function testConfig(dataDir: string, dnsServers = ['127.0.0.1:1']): LoadedConfig {
  const loaded = devConfig({ MAILSTACK_DATA: dataDir }, dataDir);
  for (const listener of loaded.config.listeners) listener.port = 0;
  loaded.config.dns.servers = dnsServers;
  loaded.config.outbound.mxPort = 1;
  return loaded;
}

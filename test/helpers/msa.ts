import type { ConfigInput } from '@mailstack/config';
import {
  filesConfig,
  loopback,
  mergeConfig,
  startConfiguredAgent,
  type TlsServerHandle,
  tlsServerHandle,
} from './mailstack-agent.ts';

export interface MsaOptions {
  /** State folder (`paths.data`). */
  data: string;
  /** Directory file (packages/directory format; see directory-file.ts). */
  directory: string;
  /** Spool folder (`paths.spool`, packages/queue's file spool). */
  spool: string;
  certPath: string;
  keyPath: string;
  /** Config keys over the helper's (sending limits, throttle, per-client connections). */
  config?: ConfigInput;
}

/** `port` is the STARTTLS listener (587-style), `tlsPort` the implicit-TLS one (465-style). */
export type MsaProcess = TlsServerHandle;

/**
 * Starts our MSA as an operator does, `mailstack msa --config FILE`, over the given directory
 * file and spool: a STARTTLS listener and an implicit-TLS one on 127.0.0.1, in its own
 * process group.
 */
export async function startMsa(options: MsaOptions): Promise<MsaProcess> {
  return tlsServerHandle(
    await startConfiguredAgent(
      'msa',
      mergeConfig(
        {
          ...filesConfig({
            directory: options.directory,
            spool: options.spool,
            data: options.data,
            cert: { certPath: options.certPath, keyPath: options.keyPath },
          }),
          listeners: [loopback('msa', 'starttls'), loopback('msa', 'implicit')],
        },
        options.config,
      ),
    ),
  );
}

import type { ConfigInput } from '@mailstack/config';
import {
  filesConfig,
  loopback,
  mergeConfig,
  type ServerHandle,
  serverHandle,
  startConfiguredAgent,
} from './mailstack-agent.ts';

export interface ImapServerOptions {
  /** Maildir store root (`paths.mail`): mailboxes at `<data>/<domain>/<local>/Maildir`. */
  data: string;
  /** Directory file (packages/directory format; see directory-file.ts). */
  directory: string;
  /** With a certificate the plain port offers STARTTLS and an implicit-TLS port is opened too. */
  cert?: { certPath: string; keyPath: string };
  /** `dev.cleartextAuthOnLoopback`: LOGIN without TLS from 127.0.0.1. */
  cleartextOnLoopback?: boolean;
  /** Config keys over the helper's (limits, throttle). */
  config?: ConfigInput;
  /** Node flags before the bin. */
  nodeArgs?: string[];
}

/** The plain (or STARTTLS) listener is `port`, the implicit-TLS one `tlsPort`. */
export type ImapServerProcess = ServerHandle;

/**
 * Starts our IMAP server as an operator does, `mailstack imap --config FILE`, over the given
 * Maildir root and directory file: a plain listener on 127.0.0.1 (STARTTLS when a certificate
 * is given, and then an implicit-TLS one too), in its own process group.
 */
export async function startImapServer(options: ImapServerOptions): Promise<ImapServerProcess> {
  const tls = options.cert !== undefined;
  return serverHandle(
    await startConfiguredAgent(
      'imap',
      mergeConfig(
        {
          ...filesConfig({ directory: options.directory, mail: options.data, cert: options.cert }),
          listeners: tls
            ? [loopback('imap', 'starttls'), loopback('imap', 'implicit')]
            : [loopback('imap', 'none')],
          dev: { cleartextAuthOnLoopback: options.cleartextOnLoopback === true },
        },
        options.config,
      ),
      options.nodeArgs ? { nodeArgs: options.nodeArgs } : {},
    ),
  );
}

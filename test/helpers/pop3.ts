import { appendFileSync } from 'node:fs';
import type { ConfigInput } from '@mailstack/config';
import type { DovecotInstance } from './dovecot.ts';
import {
  filesConfig,
  loopback,
  mergeConfig,
  startConfiguredAgent,
  type TlsServerHandle,
  tlsServerHandle,
} from './mailstack-agent.ts';
import { canConnect, freePort, waitFor } from './net.ts';

export interface Pop3Options {
  /** Maildir store root (`paths.mail`): mailboxes at `<data>/<domain>/<local>/Maildir`. */
  data: string;
  /** Directory file (packages/directory format; see directory-file.ts). */
  directory: string;
  certPath: string;
  keyPath: string;
  /** `dev.cleartextAuthOnLoopback`: USER/PASS without STLS from 127.0.0.1. */
  cleartextOnLoopback?: boolean;
  /** Config keys over the helper's (limits, throttle). */
  config?: ConfigInput;
}

/** `port` offers STLS (110-style), `tlsPort` is implicit TLS (995-style). */
export type Pop3Process = TlsServerHandle;

/**
 * Starts our POP3 server as an operator does, `mailstack pop3 --config FILE`, over the given
 * Maildir root and directory file: a STLS listener and an implicit-TLS one on 127.0.0.1, in
 * its own process group.
 */
export async function startPop3(options: Pop3Options): Promise<Pop3Process> {
  return tlsServerHandle(
    await startConfiguredAgent(
      'pop3',
      mergeConfig(
        {
          ...filesConfig({
            directory: options.directory,
            mail: options.data,
            cert: { certPath: options.certPath, keyPath: options.keyPath },
          }),
          listeners: [loopback('pop3', 'starttls'), loopback('pop3', 'implicit')],
          dev: { cleartextAuthOnLoopback: options.cleartextOnLoopback === true },
        },
        options.config,
      ),
    ),
  );
}

/**
 * Turns TLS on in a running throwaway Dovecot (startDovecot writes `ssl = no`): appends
 * `ssl = yes` with the given certificate and a loopback pop3s listener to its config — a later
 * setting or same-named listener section overrides the earlier one in Dovecot's config — and
 * `doveadm reload`s it. STLS is then offered on the plain POP3 port too. Returns the pop3s port.
 */
export async function enableDovecotPop3Tls(
  dovecot: DovecotInstance,
  cert: { certPath: string; keyPath: string },
): Promise<number> {
  const pop3sPort = await freePort();
  appendFileSync(
    dovecot.confPath,
    `
# appended by test/helpers/pop3.ts: TLS for the POP3 interop control
ssl = yes
ssl_cert = <${cert.certPath}
ssl_key = <${cert.keyPath}
ssl_min_protocol = TLSv1.2
service pop3-login {
  inet_listener pop3s {
    address = 127.0.0.1
    port = ${pop3sPort}
    ssl = yes
  }
}
`,
  );
  await dovecot.doveadmRaw(['reload']);
  await waitFor(`dovecot pop3s on ${pop3sPort} after reload`, () => canConnect(pop3sPort), 20_000, 50).catch(
    (error: Error) => {
      throw new Error(
        `${error.message}; dovecot log ends:\n${dovecot.log().split('\n').slice(-20).join('\n')}`,
      );
    },
  );
  return pop3sPort;
}

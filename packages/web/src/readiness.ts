import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { connect } from 'node:net';
import type { ListenerLike } from './mail-host.ts';

/** One thing `/readyz` waits for; `check` resolves true when it is ready and never rejects. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean>;
}

/**
 * Ready when a TCP connection to the agent's port opens: works whether the agent runs in
 * this process or in another one (a compose service) on the same network.
 */
export function listenerReady(
  name: string,
  port: number,
  host = '127.0.0.1',
  timeoutMs = 2000,
): ReadinessCheck {
  return connectReady(name, { port, host }, timeoutMs);
}

/** Ready when a connection to the unix socket at `path` opens (the MDA's LMTP for Postfix). */
export function socketReady(name: string, path: string, timeoutMs = 2000): ReadinessCheck {
  return connectReady(name, { path }, timeoutMs);
}

function connectReady(
  name: string,
  target: { port: number; host: string } | { path: string },
  timeoutMs: number,
): ReadinessCheck {
  return {
    name,
    check: () =>
      new Promise((resolve) => {
        const socket = connect(target);
        const done = (ok: boolean) => {
          socket.destroy();
          resolve(ok);
        };
        socket.setTimeout(timeoutMs, () => done(false));
        socket.once('connect', () => done(true));
        socket.once('error', () => done(false));
      }),
  };
}

/** Ready when the folder (the spool, the mail store) exists and this process may write it. */
export function folderReady(name: string, path: string): ReadinessCheck {
  return {
    name,
    check: () =>
      access(path, constants.R_OK | constants.W_OK | constants.X_OK).then(
        () => true,
        () => false,
      ),
  };
}

/** Runs every check at once; the names of those not ready, in the order given. */
export async function notReady(checks: readonly ReadinessCheck[]): Promise<string[]> {
  const results = await Promise.all(checks.map((c) => c.check().catch(() => false)));
  return checks.filter((_, i) => !results[i]).map((c) => c.name);
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);

/**
 * One TCP check per agent of the config's listeners (except `skip`, the web agent itself):
 * its first listener without implicit TLS, so the probe is not a broken TLS handshake in the
 * agent's log. A wildcard bind is probed on 127.0.0.1, any other address as it is (in compose,
 * the service name).
 */
export function listenersReady(
  listeners: ReadonlyArray<ListenerLike & { address: string }>,
  skip: readonly string[] = ['web'],
): ReadinessCheck[] {
  const chosen = new Map<string, ListenerLike & { address: string }>();
  for (const l of listeners) {
    if (skip.includes(l.agent)) continue;
    const seen = chosen.get(l.agent);
    if (!seen || (seen.tls === 'implicit' && l.tls !== 'implicit')) chosen.set(l.agent, l);
  }
  return [...chosen.values()].map((l) =>
    listenerReady(l.agent, l.port, WILDCARD.has(l.address) ? '127.0.0.1' : l.address),
  );
}

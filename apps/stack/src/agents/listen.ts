import { chmod } from 'node:fs/promises';
import {
  type AgentName,
  isSocketListener,
  type ListenerConfig,
  SOCKET_MODE,
  socketPath,
  type TlsMode,
} from '@mailstack/config';
import type { Endpoint, SharedState } from '../shared.ts';
import type { TlsPair } from '../tls-source.ts';

/** An agent running in this process. */
export interface RunningAgent {
  name: AgentName;
  endpoints: Endpoint[];
  /** Stops it: listeners say goodbye, work in flight finishes (bounded), its own state closes. */
  close(): Promise<void>;
}

/** What every agent's listener offers (SmtpListener and SessionListener alike). */
export interface AgentListener {
  /**
   * A TCP port on `host`, or a unix socket path (only the MDA's LMTP listener is given one:
   * the config check refuses a socket on the other agents).
   */
  listen(portOrPath: number | string, host?: string): Promise<object>;
  close(): Promise<void>;
  setTls?(tls: TlsPair): void;
  /** Open connections, read by /metrics when scraped. */
  readonly connections?: number;
}

/**
 * Starts one listener per `listeners` entry of `agent` in the config, each with the shared
 * certificate when its TLS mode needs one and following the certificate's renewals.
 */
export async function listenAll(
  shared: SharedState,
  agent: AgentName,
  protocol: (tls: TlsMode) => string,
  create: (listener: ListenerConfig, tls: TlsPair | undefined) => AgentListener,
): Promise<RunningAgent> {
  const endpoints: Endpoint[] = [];
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    await Promise.allSettled(
      closers
        .splice(0)
        .reverse()
        .map((c) => c()),
    );
  };
  try {
    for (const listener of shared.config.listeners.filter((l) => l.agent === agent)) {
      const source = listener.tls === 'none' ? undefined : await shared.tls();
      const server = create(listener, source?.current());
      const endpoint = await bind(shared, server, listener, protocol(listener.tls));
      closers.push(() => server.close());
      const stopFollowing = source?.onChange((pair) => server.setTls?.(pair));
      if (stopFollowing) closers.push(async () => void stopFollowing());
      if (server.connections !== undefined) {
        const port = endpoint.path === undefined ? endpoint.port : `unix:${endpoint.path}`;
        const untrack = shared.metrics.trackListener(
          { agent, protocol: endpoint.protocol, port },
          server as { connections: number },
        );
        closers.push(async () => void untrack());
      }
      endpoints.push(endpoint);
      shared.endpoints.push(endpoint);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { name: agent, endpoints, close };
}

/**
 * Listens on the listener's TCP port or unix socket. The socket: a stale file nobody answers
 * on is replaced (the listener does that; a live socket or a regular file at the path makes
 * listen fail, nothing is removed), the socket gets `socketMode`, and closing the server
 * removes the file (Node unlinks a unix socket it listened on when it closes).
 */
async function bind(
  shared: SharedState,
  server: AgentListener,
  listener: ListenerConfig,
  protocol: string,
): Promise<Endpoint> {
  const agent = listener.agent;
  if (!isSocketListener(listener)) {
    const bound = await server.listen(listener.port ?? 0, listener.address);
    const port = 'port' in bound ? (bound.port as number) : (listener.port ?? 0);
    return { agent, protocol, host: listener.address, port };
  }
  const path = socketPath(shared.paths, listener.socket);
  // sockaddr_un holds 108 bytes on Linux (104 on the BSDs), the final NUL included.
  if (Buffer.byteLength(path) > 103) {
    throw new Error(`${agent}: unix socket path too long (over 103 bytes): ${path}`);
  }
  await server.listen(path);
  const mode = listener.socketMode === undefined ? SOCKET_MODE : Number.parseInt(listener.socketMode, 8);
  try {
    await chmod(path, mode);
  } catch (err) {
    await server.close();
    throw err;
  }
  return { agent, protocol, path };
}

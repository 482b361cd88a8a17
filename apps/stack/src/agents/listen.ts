import type { AgentName, ListenerConfig, TlsMode } from '@mailstack/config';
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
  listen(port: number, host: string): Promise<object>;
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
      const bound = await server.listen(listener.port, listener.address);
      closers.push(() => server.close());
      const stopFollowing = source?.onChange((pair) => server.setTls?.(pair));
      if (stopFollowing) closers.push(async () => void stopFollowing());
      const port = 'port' in bound ? (bound.port as number) : listener.port;
      const endpoint = { agent, protocol: protocol(listener.tls), host: listener.address, port };
      if (server.connections !== undefined) {
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

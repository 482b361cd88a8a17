import { ClientConnection, type ClientConnectOptions } from './client-connection.ts';

export interface ConnectionPoolOptions {
  /** Close an idle connection after this long. Default 5000. */
  idleMs?: number;
  /** Idle connections kept per peer (address, port, TLS policy). Default 2. */
  maxIdlePerPeer?: number;
}

interface Idle {
  conn: ClientConnection;
  timer: NodeJS.Timeout;
  unwatch: () => void;
}

/**
 * Keeps connections open between messages to the same peer: the next message skips the TCP
 * handshake, the greeting (and the peer's pregreet pause), EHLO and STARTTLS.
 */
export class ConnectionPool {
  private readonly idleMs: number;
  private readonly maxIdle: number;
  private readonly idle = new Map<string, Idle[]>();
  private closed = false;

  constructor(options: ConnectionPoolOptions = {}) {
    this.idleMs = options.idleMs ?? 5000;
    this.maxIdle = options.maxIdlePerPeer ?? 2;
  }

  /** An idle open connection to the peer, else (or when `fresh`) a new one. */
  async get(options: ClientConnectOptions, how: { fresh?: boolean } = {}): Promise<ClientConnection> {
    const key = peerKey(options);
    const list = this.idle.get(key) ?? [];
    while (!how.fresh && list.length > 0) {
      const entry = list.pop() as Idle;
      clearTimeout(entry.timer);
      entry.unwatch();
      if (entry.conn.isOpen) return entry.conn;
    }
    return ClientConnection.connect(key, options);
  }

  /** Hands a connection back after a finished transaction; it stays open a while. */
  release(conn: ClientConnection): void {
    const list = this.idle.get(conn.key) ?? [];
    if (this.closed || !conn.isOpen || list.length >= this.maxIdle) {
      conn.close();
      return;
    }
    const entry: Idle = {
      conn,
      timer: setTimeout(() => this.drop(entry), this.idleMs),
      // the peer may hang up on an idle connection (its own idle timeout): forget it then
      unwatch: conn.onClose(() => this.drop(entry)),
    };
    entry.timer.unref();
    list.push(entry);
    this.idle.set(conn.key, list);
  }

  /** Closes every idle connection; later releases close at once. */
  close(): void {
    this.closed = true;
    for (const list of this.idle.values()) {
      for (const entry of list.splice(0)) {
        clearTimeout(entry.timer);
        entry.unwatch();
        entry.conn.close();
      }
    }
    this.idle.clear();
  }

  private drop(entry: Idle): void {
    clearTimeout(entry.timer);
    const list = this.idle.get(entry.conn.key);
    const index = list?.indexOf(entry) ?? -1;
    if (!list || index < 0) return; // taken again meanwhile: not ours to close
    list.splice(index, 1);
    if (list.length === 0) this.idle.delete(entry.conn.key);
    entry.unwatch();
    entry.conn.close();
  }
}

/** Connections are shared only between identical settings (TLS policy and login included). */
function peerKey(o: ClientConnectOptions): string {
  const tls = o.tls ?? {};
  return [
    o.lmtp ? 'lmtp' : 'smtp',
    o.socketPath ?? o.host,
    o.port,
    o.servername ?? '',
    tls.disabled
      ? 'plain'
      : tls.implicit
        ? 'implicit'
        : tls.verify
          ? 'verify'
          : tls.required
            ? 'required'
            : 'opportunistic',
    o.auth?.user ?? '',
  ].join('|');
}

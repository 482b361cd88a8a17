import type { Logger } from '@mailstack/core';
import type { Notification, Pool, PoolClient } from 'pg';

/**
 * One long-lived connection per spool for what lasts as long as the process: LISTEN for other
 * processes' wake-ups, and a session advisory lock per lease owner of this process, which is how
 * other processes tell a live owner from a dead one (a killed process's connection closes and
 * PostgreSQL drops its locks). Opened when the spool opens; after a lost connection it is opened
 * again a second later (or on the next need), locks and LISTEN renewed, and the listeners woken
 * for what they may have missed.
 */
export class SpoolSession {
  private readonly pool: Pool;
  private readonly channel: string;
  private readonly lockKey: number;
  private readonly statements: { ownerLock: string };
  private readonly onNotify: (payload: string) => void;
  private readonly log: Logger;
  private readonly owners = new Set<string>();
  private client: PoolClient | undefined;
  private connecting: Promise<PoolClient> | undefined;
  private listening = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(options: {
    pool: Pool;
    channel: string;
    lockKey: number;
    statements: { ownerLock: string };
    onNotify: (payload: string) => void;
    log: Logger;
  }) {
    this.pool = options.pool;
    this.channel = options.channel;
    this.lockKey = options.lockKey;
    this.statements = options.statements;
    this.onNotify = options.onNotify;
    this.log = options.log;
  }

  /** Marks `owner` alive for as long as this connection lasts. */
  async registerOwner(owner: string): Promise<void> {
    if (this.owners.has(owner) && this.client) return;
    const client = await this.connection();
    if (this.owners.has(owner)) return;
    await client.query(this.statements.ownerLock, [this.lockKey, owner]);
    this.owners.add(owner);
  }

  async startListening(): Promise<void> {
    this.listening = true;
    const client = await this.connection();
    await client.query(`LISTEN ${this.channel}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // Drop the owners' locks before the connection goes (its backend may take a moment to
    // notice the socket closed): once close() resolves, this process's leases are void.
    await client.query('SELECT pg_advisory_unlock_all()').catch(() => {});
    client.release(true);
  }

  private connection(): Promise<PoolClient> {
    if (this.client) return Promise.resolve(this.client);
    if (this.closed) return Promise.reject(new Error('spool closed'));
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<PoolClient> {
    const client = await this.pool.connect();
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.release(err ?? true);
      this.log.warn(
        { event: 'spool-watch-failed', dir: this.channel, err: String(err ?? 'connection ended') },
        'spool database session lost',
      );
      if (this.listening && !this.closed) this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n: Notification) => {
      if (n.channel === this.channel.replaceAll('"', '')) this.onNotify(n.payload ?? '');
    });
    try {
      // The locks of owners registered on an earlier connection are gone with it: take them again.
      for (const owner of this.owners) await client.query(this.statements.ownerLock, [this.lockKey, owner]);
      if (this.listening) await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      client.release(true);
      throw err;
    }
    this.client = client;
    return client;
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.connection().then(
        () => this.onNotify(''),
        () => this.scheduleReconnect(),
      );
    }, 1000);
    this.retry.unref();
  }
}

import type net from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import { type ConnectionPolicy, ListenerConnection } from './connection.ts';

/**
 * SMTPServer whose connections are ListenerConnections. `connect()` repeats the library's
 * four lines with our connection class; everything else (PROXY, implicit TLS, close) is
 * the library's.
 */
export class ListenerServer extends SMTPServer {
  readonly policy: ConnectionPolicy;

  constructor(options: SMTPServerOptions, policy: ConnectionPolicy) {
    super(options);
    this.policy = policy;
  }

  override connect(socket: net.Socket, socketOptions?: SMTPConnectionOptions | null): void {
    const connection = new ListenerConnection(this, socket, socketOptions ?? undefined, this.policy);
    this.connections.add(connection);
    connection.on('error', (err: Error) => this._onError(err));
    connection.on('connect', (data) => this._onClientConnect(data));
    connection.init();
  }
}

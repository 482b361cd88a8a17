import { createConnection, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Recipient } from '@mailstack/core';
import type { SMTPConnectionSendInfo } from 'nodemailer/lib/smtp-connection';
import { type Internals, OutboundConnection, rcptDsnArgs } from './outbound-connection.ts';

/** How a connection treats TLS (RFC 3207). */
export interface TlsPolicy {
  /** Refuse to send in cleartext: no STARTTLS offered or the upgrade fails → 4.7.10 defer. */
  required?: boolean;
  /** Check the peer's certificate against `servername` (implies required). Default false. */
  verify?: boolean;
  /** Extra CA certificates to trust when verifying (a test or private CA). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** TLS from the first byte (a smarthost on port 465) instead of STARTTLS. */
  implicit?: boolean;
  /** Never STARTTLS (LMTP to our own MDA on the same host). */
  disabled?: boolean;
}

/** RFC 5321 4.5.3.2 timeouts; the defaults are the RFC's minimums. */
export interface ClientTimeouts {
  /** TCP connect. Default 30 s (the RFC gives none). */
  connectMs?: number;
  /** Waiting for the 220 greeting: 5 min. */
  greetingMs?: number;
  /** Silence on a command or data block: 10 min (the longest, after the final dot). */
  commandMs?: number;
}

export interface ClientConnectOptions {
  /** The address to connect to (IP or name). */
  host: string;
  port: number;
  /** A unix socket instead of host and port (LMTP). */
  socketPath?: string;
  /** The peer's name, for SNI and certificate checks (the MX host). */
  servername?: string;
  /** Our EHLO/LHLO name. */
  name: string;
  lmtp?: boolean;
  tls?: TlsPolicy;
  auth?: { user: string; pass: string };
  timeouts?: ClientTimeouts;
}

/** What the peer offered after EHLO (and STARTTLS). */
export interface PeerFeatures {
  secure: boolean;
  pipelining: boolean;
  dsn: boolean;
  eightBitMime: boolean;
  smtpUtf8: boolean;
  /** SIZE limit in bytes; 0 = none announced. */
  maxSize: number;
}

/** One transaction's envelope on the wire. */
export interface WireEnvelope {
  mailFrom: string;
  recipients: Recipient[];
  size: number;
  eightBit: boolean;
  smtpUtf8: boolean;
  envId?: string;
  ret?: 'FULL' | 'HDRS';
}

/** An error of nodemailer's: `response` is the peer's reply when there was one. */
export interface ClientError extends Error {
  code?: string;
  response?: string;
  responseCode?: number;
  recipient?: string;
}

export interface SendOutcome {
  /** Accepted RCPTs, in order; with LMTP minus those refused after DATA. */
  accepted: string[];
  /** Refusals in order, each with the peer's reply text. */
  rejected: Array<{ recipient: string; response: string }>;
  /** Final reply to the dot (the last one for LMTP). */
  response: string;
}

/** One SMTP/LMTP client session to one address, promise-shaped. */
export class ClientConnection {
  readonly key: string;
  private readonly conn: OutboundConnection;
  private closed = false;
  private started = 0;
  private readonly closeListeners: Array<() => void> = [];

  private constructor(key: string, conn: OutboundConnection) {
    this.key = key;
    this.conn = conn;
    const markClosed = () => {
      if (this.closed) return;
      this.closed = true;
      for (const listener of this.closeListeners.splice(0)) listener();
    };
    conn.on('end', markClosed);
    // an idle pooled connection the peer drops must not crash the process
    conn.on('error', markClosed);
  }

  static async connect(key: string, options: ClientConnectOptions): Promise<ClientConnection> {
    const socket = options.socketPath ? await openUnixSocket(options.socketPath) : undefined;
    const tls = options.tls ?? {};
    const verify = tls.verify === true;
    const required = verify || tls.required === true;
    const t = options.timeouts ?? {};
    const conn = new OutboundConnection({
      host: options.host,
      port: options.port,
      name: options.name,
      lmtp: options.lmtp === true,
      secure: tls.implicit === true,
      requireTLS: required && tls.implicit !== true,
      opportunisticTLS: !required,
      ignoreTLS: tls.disabled === true && !required,
      ...(socket ? { connection: socket } : {}),
      ...(options.servername ? { servername: options.servername } : {}),
      tls: {
        rejectUnauthorized: verify,
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(options.servername ? { servername: options.servername } : {}),
      },
      connectionTimeout: t.connectMs ?? 30_000,
      greetingTimeout: t.greetingMs ?? 5 * 60_000,
      socketTimeout: t.commandMs ?? 10 * 60_000,
      socketCloseTimeout: 0,
      logger: false,
    });
    const client = new ClientConnection(key, conn);
    return new Promise((resolve, reject) => {
      // a failed connect (refused, TLS, 5xx greeting) arrives as an 'error' event, not the callback
      const fail = (err: Error) => {
        conn.off('error', fail);
        conn.off('end', ended);
        client.close();
        reject(err);
      };
      const ended = () => fail(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' }));
      conn.on('error', fail);
      conn.on('end', ended);
      const done = () => {
        conn.off('error', fail);
        conn.off('end', ended);
        resolve(client);
      };
      conn.connect((err) => {
        if (err) return fail(err);
        const auth = options.auth;
        if (!auth) return done();
        conn.login({ user: auth.user, pass: auth.pass }, (loginErr) => (loginErr ? fail(loginErr) : done()));
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get features(): PeerFeatures {
    const self = this.conn as unknown as Internals;
    const ext = new Set(self._supportedExtensions);
    return {
      secure: this.conn.secure,
      pipelining: ext.has('PIPELINING'),
      dsn: ext.has('DSN'),
      eightBitMime: ext.has('8BITMIME'),
      smtpUtf8: ext.has('SMTPUTF8'),
      maxSize: ext.has('SIZE') ? self._maxAllowedSize : 0,
    };
  }

  /** Calls back once the connection is gone; returns an unsubscribe. */
  onClose(listener: () => void): () => void {
    if (this.closed) {
      listener();
      return () => {};
    }
    this.closeListeners.push(listener);
    return () => {
      const index = this.closeListeners.indexOf(listener);
      if (index >= 0) this.closeListeners.splice(index, 1);
    };
  }

  /** Transactions started on this connection so far (more than 0: it was reused). */
  get transactions(): number {
    return this.started;
  }

  /** Runs one transaction. Rejects on a refused MAIL, all RCPTs refused, DATA refused, or I/O. */
  send(envelope: WireEnvelope, body: Readable): Promise<SendOutcome> {
    this.started++;
    const features = this.features;
    const dsn = features.dsn;
    this.conn.forceSmtpUtf8 = envelope.smtpUtf8 && features.smtpUtf8;
    this.conn.rcptParams = (index) => (dsn ? rcptDsnArgs(envelope.recipients[index]) : '');
    return new Promise((resolve, reject) => {
      this.conn.send(
        {
          from: envelope.mailFrom,
          to: envelope.recipients.map((r) => r.address),
          size: envelope.size,
          use8BitMime: envelope.eightBit,
          // ENVID is xtext-encoded by nodemailer; RET is a plain keyword
          ...(dsn && (envelope.envId || envelope.ret)
            ? { dsn: { ...(envelope.ret ? { ret: envelope.ret } : {}), envid: envelope.envId ?? null } }
            : {}),
        },
        body,
        (err: Error | null, info?: SMTPConnectionSendInfo) => {
          if (err || !info) return reject(err ?? new Error('No send result'));
          resolve({
            accepted: info.accepted,
            rejected: (info.rejectedErrors ?? []).map((e) => {
              const ce = e as ClientError;
              return { recipient: ce.recipient ?? '', response: ce.response ?? '' };
            }),
            response: info.response,
          });
        },
      );
    });
  }

  /** RSET, so a connection that saw a failed transaction can carry the next one. */
  reset(): Promise<void> {
    return new Promise((resolve, reject) => this.conn.reset((err) => (err ? reject(err) : resolve())));
  }

  /** QUIT and close. */
  close(): void {
    if (!this.closed) {
      this.closed = true;
      for (const listener of this.closeListeners.splice(0)) listener();
    }
    try {
      this.conn.quit();
    } catch {
      this.conn.close();
    }
  }
}

function openUnixSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

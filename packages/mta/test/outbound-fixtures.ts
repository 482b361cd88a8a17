import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { type Envelope, ok, type Reply, readAll, SmtpError } from '@mailstack/core';
import { createSmtpListener, type SmtpListener, type SmtpListenerOptions } from '@mailstack/smtp';
import { generate } from 'selfsigned';

export interface ReceivedMessage {
  envelope: Envelope;
  body: string;
  secure: boolean;
  helo: string;
}

export interface PeerOptions {
  host: string;
  /** Bind this port (shared MX port across addresses); 0 = ephemeral. */
  port?: number;
  /** Throw an SmtpError to refuse MAIL FROM. */
  onMail?(address: string): void;
  /** Throw an SmtpError to refuse one RCPT. */
  onRcpt?(address: string): void;
  /** The reply to DATA; default 250. */
  onData?(message: ReceivedMessage): Reply;
  tls?: boolean;
  dsn?: boolean;
  /** Require AUTH with this user and password (a smarthost). */
  auth?: { user: string; pass: string };
  /** The peer's idle timeout (it says 421 and hangs up). */
  idleTimeoutMs?: number;
  hide?: Array<'SMTPUTF8' | '8BITMIME' | 'PIPELINING'>;
  maxMessageSize?: number;
}

export interface Peer {
  host: string;
  port: number;
  messages: ReceivedMessage[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** Sessions open right now. */
  openSessions(): number;
  /** The most sessions open at one time. */
  peakSessions(): number;
  /** The most transactions (MAIL to the reply after DATA) in progress at one time. */
  peakTransactions(): number;
  close(): Promise<void>;
}

let certificate: Promise<{ key: string; cert: string }> | undefined;

export function peerCertificate(): Promise<{ key: string; cert: string }> {
  certificate ??= generate([{ name: 'commonName', value: 'mx.example.test' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
  }).then((p) => ({ key: p.private, cert: p.cert }));
  return certificate;
}

/** An SMTP peer (our @mailstack/smtp listener) that records what it receives. */
export async function startPeer(options: PeerOptions): Promise<Peer> {
  const messages: ReceivedMessage[] = [];
  let connections = 0;
  let open = 0;
  let peak = 0;
  let transactions = 0;
  let peakTransactions = 0;
  const serverOptions: SmtpListenerOptions['serverOptions'] = {};
  for (const feature of options.hide ?? []) Object.assign(serverOptions, { [`hide${feature}`]: true });
  const listener: SmtpListener = createSmtpListener({
    name: `peer-${options.host}`,
    closeTimeoutMs: 200,
    dsn: options.dsn ?? true,
    ...(options.maxMessageSize ? { maxMessageSize: options.maxMessageSize } : {}),
    ...(options.tls ? { tls: await peerCertificate() } : {}),
    ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    ...(options.auth
      ? {
          auth: {
            allowCleartext: () => !options.tls,
            authenticate: async (c: { username: string; password: string }) =>
              c.username === options.auth?.user && c.password === options.auth?.pass ? c.username : null,
          },
        }
      : {}),
    serverOptions,
    handlers: {
      onConnect() {
        connections++;
        open++;
        peak = Math.max(peak, open);
      },
      onClose() {
        open--;
      },
      onMailFrom(address) {
        options.onMail?.(address.address);
        transactions++;
        peakTransactions = Math.max(peakTransactions, transactions);
      },
      onRcptTo(address) {
        options.onRcpt?.(address.address);
      },
      async onData(message, session) {
        const body = (await readAll(message.stream)).toString('utf8');
        transactions--;
        const received: ReceivedMessage = {
          envelope: message.envelope,
          body,
          secure: session.secure,
          helo: session.hostNameAppearsAs,
        };
        const reply = options.onData?.(received) ?? ok('Queued');
        if (reply.code < 300) messages.push(received);
        else throw new SmtpError(reply.code, reply.enhanced, reply.text);
        return reply;
      },
    },
  });
  const address = await listener.listen(options.port ?? 0, options.host);
  if (!('port' in address)) throw new Error('expected TCP');
  return {
    host: options.host,
    port: address.port,
    messages,
    connections: () => connections,
    openSessions: () => open,
    peakSessions: () => peak,
    peakTransactions: () => peakTransactions,
    close: () => listener.close(),
  };
}

/** Peers on several loopback addresses that share one port (MX hosts all listen on "25"). */
export async function startPeers(list: PeerOptions[]): Promise<Peer[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const peers: Peer[] = [];
    try {
      const first = await startPeer(list[0] as PeerOptions);
      peers.push(first);
      for (const options of list.slice(1)) peers.push(await startPeer({ ...options, port: first.port }));
      return peers;
    } catch (err) {
      await Promise.all(peers.map((p) => p.close()));
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new Error('no shared port found');
}

export interface WireTap {
  port: number;
  /** Everything the client sent, as text. */
  clientText(): string;
  /** What the client sent, one entry per read (a pipelined batch arrives as one). */
  clientReads(): string[];
  close(): Promise<void>;
}

/** A TCP relay in front of a peer that keeps what the client sends (the raw command lines). */
export async function startWireTap(host: string, port: number, target: { host: string; port: number }) {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => chunks.push(d));
    client.pipe(upstream).pipe(client);
    const done = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', done).on('error', done);
    upstream.on('close', done).on('error', done);
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const bound = server.address();
  return {
    port: typeof bound === 'object' && bound ? bound.port : 0,
    clientText: () => Buffer.concat(chunks).toString('utf8'),
    clientReads: () => chunks.map((c) => c.toString('utf8')),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  } satisfies WireTap;
}

/** Polls until `check` is true (bounded), for events that happen after a call returns. */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const message = (subject = 'Hello'): string =>
  `From: a@sender.test\r\nTo: b@example.test\r\nSubject: ${subject}\r\n\r\nBody line\r\n`;

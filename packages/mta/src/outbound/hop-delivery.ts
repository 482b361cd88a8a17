import type { Envelope, Logger, MessageBlob, Recipient, Reply } from '@mailstack/core';
import type { ClientConnection, ClientError, ClientTimeouts, TlsPolicy } from './client-connection.ts';
import type { ConnectionPool } from './connection-pool.ts';
import type { KeyedLimiter, Limiter } from './limiter.ts';
import { parseReply } from './reply-text.ts';
import type { HopHost } from './route.ts';
import { runTransaction, type TransactionOutcome } from './smtp-transaction.ts';

/** How to talk to the hosts of one route. */
export interface HopSettings {
  port: number;
  /** A unix socket instead of TCP (LMTP). */
  socketPath?: string;
  lmtp: boolean;
  tls: TlsPolicy;
  auth?: { user: string; pass: string };
  /** Our EHLO/LHLO name. */
  name: string;
  timeouts?: ClientTimeouts;
  /** RCPTs per transaction; the rest go in further transactions. */
  maxRecipients: number;
  /** Concurrency key: the destination domain or the relay. */
  destination: string;
}

export interface HopContext {
  pool: ConnectionPool;
  overall: Limiter;
  perDestination: KeyedLimiter;
  logger: Logger;
}

/**
 * Delivers to one route's hosts: recipients in chunks of `maxRecipients`, each chunk tried on
 * every address of every host in order until one gives a final answer (RFC 5321 5.1: a 4xx or
 * a failed connection moves on to the next; a 5xx is final). Replies in recipient order.
 */
export async function deliverViaHosts(
  ctx: HopContext,
  hosts: HopHost[],
  settings: HopSettings,
  envelope: Envelope,
  blob: MessageBlob,
  recipients: Recipient[],
): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let i = 0; i < recipients.length; i += settings.maxRecipients) {
    const chunk = recipients.slice(i, i + settings.maxRecipients);
    const releaseDestination = await ctx.perDestination.acquire(settings.destination);
    const releaseOverall = await ctx.overall.acquire();
    try {
      replies.push(...(await deliverChunk(ctx, hosts, settings, envelope, blob, chunk)));
    } finally {
      releaseOverall();
      releaseDestination();
    }
  }
  return replies;
}

async function deliverChunk(
  ctx: HopContext,
  hosts: HopHost[],
  settings: HopSettings,
  envelope: Envelope,
  blob: MessageBlob,
  chunk: Recipient[],
): Promise<Reply[]> {
  let last: Reply[] = chunk.map(() => noHost());
  for (const host of hosts) {
    for (const address of host.addresses) {
      const attempt = await tryAddress(ctx, host.name, address, settings, envelope, blob, chunk);
      last = attempt.replies;
      if (attempt.final) return last;
    }
  }
  return last;
}

/**
 * One address: a pooled or new connection, then the transaction. `final` unless every reply
 * is a 4xx (or the connection failed), which moves on to the next address.
 */
async function tryAddress(
  ctx: HopContext,
  name: string,
  address: string,
  settings: HopSettings,
  envelope: Envelope,
  blob: MessageBlob,
  chunk: Recipient[],
): Promise<{ replies: Reply[]; final: boolean }> {
  const log = ctx.logger.child({ host: name, address, port: settings.port });
  const options = {
    host: address,
    port: settings.port,
    ...(settings.socketPath ? { socketPath: settings.socketPath } : {}),
    servername: name,
    name: settings.name,
    lmtp: settings.lmtp,
    tls: settings.tls,
    ...(settings.auth ? { auth: settings.auth } : {}),
    ...(settings.timeouts ? { timeouts: settings.timeouts } : {}),
  };
  // a pooled connection the peer dropped a moment ago fails at once: then one fresh try
  for (let fresh = false; ; fresh = true) {
    let conn: ClientConnection;
    try {
      conn = await ctx.pool.get(options, { fresh });
    } catch (err) {
      const reply = connectFailure(err as ClientError, settings, name, address);
      log.warn({ event: 'connect-failed', code: reply.code, text: reply.text }, 'connection failed');
      // a 5xx greeting or EHLO/HELO is final for this transaction
      return { replies: chunk.map(() => reply), final: reply.code >= 500 };
    }
    if (isTlsRequired(settings.tls) && !conn.features.secure) {
      conn.close();
      return { replies: chunk.map(() => tlsMissing(name, address, settings.port)), final: false };
    }
    const reused = conn.transactions > 0;
    const outcome = await runTransaction(conn, envelope, blob, chunk);
    await finish(ctx.pool, conn, outcome);
    if (outcome.kind === 'whole' && outcome.connectionLost && reused && !fresh) continue;
    const replies = outcome.kind === 'whole' ? chunk.map(() => outcome.reply) : outcome.replies;
    log.info({ event: 'transaction', codes: replies.map((r) => r.code), reused }, 'transaction done');
    return { replies, final: !replies.every((r) => r.code >= 400 && r.code < 500) };
  }
}

/** Back to the pool when the session is still sound; RSET after a failed transaction. */
async function finish(pool: ConnectionPool, conn: ClientConnection, outcome: TransactionOutcome) {
  if (outcome.kind === 'whole' && outcome.connectionLost) {
    conn.close();
    return;
  }
  const delivered = outcome.kind === 'per-recipient' && outcome.replies.some((r) => r.code < 300);
  if (!delivered) {
    try {
      await conn.reset();
    } catch {
      conn.close();
      return;
    }
  }
  pool.release(conn);
}

function connectFailure(err: ClientError, settings: HopSettings, name: string, address: string): Reply {
  const where = `${name}[${address}]:${settings.port}`;
  if (isTlsRequired(settings.tls)) {
    if (err.code === 'ETLS') return tlsMissing(name, address, settings.port, err.message);
    if (CERTIFICATE_ERROR.test((err as ClientError & { originalCode?: string }).originalCode ?? '')) {
      return { code: 451, enhanced: '4.7.5', text: `Certificate of ${where} not trusted: ${err.message}` };
    }
  }
  if (err.code === 'EAUTH') {
    const peer = parseReply(err.response);
    return {
      code: 451,
      enhanced: '4.7.0',
      text: `Authentication to ${where} failed: ${peer?.text ?? err.message}`,
    };
  }
  const reply = parseReply(err.response);
  if (reply && reply.code >= 400) return { ...reply, text: `${where} said: ${reply.text}` };
  return { code: 451, enhanced: '4.4.1', text: `Connection to ${where} failed: ${err.message}` };
}

/** Node's certificate verification failures (self-signed, expired, wrong name, unknown CA). */
const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|HOSTNAME|ALTNAME|UNABLE_TO_(GET|VERIFY)/;

function isTlsRequired(tls: TlsPolicy): boolean {
  return tls.required === true || tls.verify === true || tls.implicit === true;
}

/** RFC 3207 4.1 leaves it to policy; ours defers so a fixed peer still gets the mail. */
function tlsMissing(name: string, address: string, port: number, detail = 'no TLS'): Reply {
  return {
    code: 451,
    enhanced: '4.7.10',
    text: `TLS required but not established with ${name}[${address}]:${port}: ${detail}`,
  };
}

function noHost(): Reply {
  return { code: 451, enhanced: '4.4.1', text: 'No host to deliver to' };
}

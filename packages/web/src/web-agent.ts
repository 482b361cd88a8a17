import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, silentLogger } from '@mailstack/core';
import { autoconfigXml } from './autoconfig.ts';
import type { MailHost } from './mail-host.ts';
import { notReady, type ReadinessCheck } from './readiness.ts';

/** What `/metrics` serves: HostMetrics from @mailstack/metrics fits. */
export interface MetricsSource {
  scrape(): Promise<{ contentType: string; body: string }>;
}

export interface WebAgentOptions {
  /** Default 8025; 0 picks a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Served as the Thunderbird autoconfig file. */
  mailHost: MailHost;
  /** Served on /metrics; without it /metrics is 404. */
  metrics?: MetricsSource;
  /** What /readyz waits for: the agents' listeners, the spool and the store. */
  readiness?: ReadinessCheck[];
  logger?: Logger;
}

export interface WebAgent {
  port: number;
  close(): Promise<void>;
}

const AUTOCONFIG_PATHS = new Set(['/.well-known/autoconfig/mail/config-v1.1.xml', '/mail/config-v1.1.xml']);

/** The web agent's server before it listens: the shape every agent listener has. */
export interface WebServer {
  /** Port 0 picks a free one; resolves with the bound address. */
  listen(port: number, host?: string): Promise<{ port: number; host: string }>;
  close(): Promise<void>;
  /** Open HTTP connections right now. */
  readonly connections: number;
}

/**
 * The web agent: `/healthz` (the process answers), `/readyz` (every check passes, else 503
 * naming what is not ready), `/metrics` (Prometheus text) and the Thunderbird autoconfig
 * file. Read-only, GET and HEAD only; no state of its own.
 */
export function createWebServer(options: Omit<WebAgentOptions, 'port' | 'host'>): WebServer {
  const logger = (options.logger ?? silentLogger).child({ agent: 'web' });
  const checks = options.readiness ?? [];
  const autoconfig = autoconfigXml(options.mailHost);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const json = (status: number, body: object) =>
      send(status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return json(405, { error: 'method not allowed' });
    }
    const path = new URL(req.url ?? '/', 'http://web').pathname;
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      const failing = await notReady(checks);
      return failing.length === 0
        ? json(200, { status: 'ready' })
        : json(503, { status: 'not ready', notReady: failing });
    }
    if (path === '/metrics' && options.metrics) {
      const { contentType, body } = await options.metrics.scrape();
      return send(200, contentType, body);
    }
    // Thunderbird may add ?emailaddress=...; the file is the same for every address here.
    if (AUTOCONFIG_PATHS.has(path)) return send(200, 'application/xml; charset=utf-8', autoconfig);
    return json(404, { error: 'not found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ event: 'web-request-failed', path: req.url, err: String(err) });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
  let open = 0;
  server.on('connection', (socket) => {
    open++;
    socket.once('close', () => open--);
  });
  return {
    get connections() {
      return open;
    },
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const bound = server.address() as AddressInfo;
          logger.info({ event: 'listening', protocol: 'http', host: bound.address, port: bound.port });
          resolve({ port: bound.port, host: bound.address });
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Creates the web agent and listens (default 127.0.0.1:8025). */
export async function startWebAgent(options: WebAgentOptions): Promise<WebAgent> {
  const server = createWebServer(options);
  const { port } = await server.listen(options.port ?? 8025, options.host ?? '127.0.0.1');
  return { port, close: () => server.close() };
}

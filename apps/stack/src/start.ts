import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@mailstack/core';
import {
  DEFAULT_AUTH_THROTTLE,
  openFileDirectory,
  openSharedAuthThrottle,
  sharedThrottlePath,
} from '@mailstack/directory';
import { createImapServer } from '@mailstack/imap';
import { createMaildirStore } from '@mailstack/maildir';
import { createLmtpServer } from '@mailstack/mda';
import { createSubmissionServer } from '@mailstack/msa';
import { createDkimSigner, createInboundServer, startDeliveryWorker } from '@mailstack/mta';
import { createPop3Server } from '@mailstack/pop3';
import { openFileSpool } from '@mailstack/queue';
import type { StackConfig } from './defaults.ts';
import { type DemoAccounts, ensureDemoAccounts } from './demo-accounts.ts';
import { ensureDkimKey } from './dkim.ts';
import { ensureCertificate } from './tls.ts';

/** One listening endpoint of a running agent, for the start banner and for tests. */
export interface Endpoint {
  agent: string;
  protocol: string;
  host: string;
  port: number;
}

export interface RunningStack {
  endpoints: Endpoint[];
  demo: DemoAccounts;
  paths: { data: string; mail: string; directory: string; tls: string; spool: string; dkim: string };
  /** True when this start made the self-signed certificate. */
  certificateCreated: boolean;
  close(): Promise<void>;
}

/**
 * Opens the shared state (directory, mailbox store, certificate) under the data folder and
 * starts every agent that exists so far on its configured port. Agents get the directory and
 * store through their seams, never through each other.
 */
export async function startStack(config: StackConfig, logger: Logger): Promise<RunningStack> {
  const paths = {
    data: config.dataDir,
    mail: join(config.dataDir, 'mail'),
    directory: join(config.dataDir, 'directory.json'),
    tls: join(config.dataDir, 'tls'),
    spool: join(config.dataDir, 'spool'),
    dkim: join(config.dataDir, 'dkim'),
  };
  await mkdir(paths.mail, { recursive: true, mode: 0o700 });
  const tls = await ensureCertificate(paths.tls, config.hostname);

  const directory = await openFileDirectory(paths.directory, { create: true, watch: true, logger });
  const demo = await ensureDemoAccounts(
    directory,
    paths.data,
    config.domain,
    config.demoUsers,
    process.env.MAILSTACK_DEMO_PASSWORD,
  );
  const store = createMaildirStore({
    root: paths.mail,
    hostname: config.hostname,
    logger,
    quota: async (user) => {
      const account = await directory.account(user);
      return { limitBytes: account?.quotaBytes, limitMessages: account?.quotaMessages };
    },
  });
  for (const user of demo.users) await store.ensureUser(user);

  // One login throttle for submission, IMAP and POP3 on every port, kept in a file so an
  // agent started on its own beside the stack spends the same budget.
  const authThrottle = openSharedAuthThrottle(sharedThrottlePath(paths.directory), DEFAULT_AUTH_THROTTLE);
  const closers: Array<() => Promise<void>> = [async () => authThrottle.close()];
  const endpoints: Endpoint[] = [];
  const listen = async (
    agent: string,
    protocol: string,
    server: { listen(port: number, host: string): Promise<object>; close(): Promise<void> },
    port: number,
    host = config.bindAddress,
  ): Promise<number> => {
    const bound = await server.listen(port, host);
    closers.push(() => server.close());
    const boundPort = 'port' in bound ? (bound.port as number) : port;
    endpoints.push({ agent, protocol, host, port: boundPort });
    return boundPort;
  };
  try {
    // Delivery: LMTP in front of the store.
    const lmtpPort = await listen(
      'mda',
      'lmtp',
      createLmtpServer({ directory, store, logger, name: config.hostname }),
      config.ports.lmtp,
      config.lmtpAddress,
    );

    // Transfer: the queue runner drains the spool through the outbound worker. Local
    // recipients go to the MDA over LMTP (the same hop Postfix or Dovecot would take), the
    // others by MX; mail from our domain is DKIM-signed on the way out.
    const spool = await openFileSpool(paths.spool, { logger });
    const dkim = await ensureDkimKey(paths.dkim, config.domain);
    const signer = createDkimSigner({
      domains: { [config.domain]: { selector: dkim.selector, privateKey: dkim.privateKey } },
      logger,
    });
    const worker = startDeliveryWorker({
      spool,
      hostname: config.hostname,
      lmtp: { host: config.lmtpAddress, port: lmtpPort },
      transfer: {
        directory,
        prepare: signer.prepare,
        ...(config.outbound.dnsServers ? { dnsServers: config.outbound.dnsServers } : {}),
        ...(config.outbound.port ? { port: config.outbound.port } : {}),
      },
      logger,
    });
    closers.push(() => worker.stop());

    // Inbound transfer (port 25's role): mail for our domain from other MTAs, never a relay.
    await listen(
      'mta',
      'smtp',
      createInboundServer({
        hostname: config.hostname,
        directory,
        spool,
        tls: { key: tls.key, cert: tls.cert },
        logger,
      }),
      config.ports.mta,
    );

    // Submission: 587-style STARTTLS and 465-style implicit TLS.
    for (const implicitTls of [false, true]) {
      const server = createSubmissionServer({
        directory,
        spool,
        tls: { key: tls.key, cert: tls.cert },
        implicitTls,
        hostname: config.hostname,
        allowCleartextAuthOnLoopback: config.devCleartextAuth,
        authThrottle,
        logger,
      });
      await listen(
        'msa',
        implicitTls ? 'submissions (TLS)' : 'submission (STARTTLS)',
        server,
        implicitTls ? config.ports.submissions : config.ports.submission,
      );
    }

    // Access: POP3 with STLS and POP3S, IMAP with STARTTLS and IMAPS, over the same store.
    const access = [
      { agent: 'pop3', create: createPop3Server, plain: 'pop3 (STLS)', implicit: 'pop3s (TLS)' },
      { agent: 'imap', create: createImapServer, plain: 'imap (STARTTLS)', implicit: 'imaps (TLS)' },
    ] as const;
    for (const { agent, create, plain, implicit } of access) {
      for (const implicitTls of [false, true]) {
        const server = create({
          directory,
          store,
          hostname: config.hostname,
          tls: { key: tls.key, cert: tls.cert },
          implicitTls,
          allowCleartextAuthOnLoopback: config.devCleartextAuth,
          authThrottle,
          logger,
        });
        const port = implicitTls ? config.ports[`${agent}s`] : config.ports[agent];
        await listen(agent, implicitTls ? implicit : plain, server, port);
      }
    }
  } catch (err) {
    await Promise.allSettled(closers.reverse().map((c) => c()));
    await directory.close();
    throw err;
  }

  return {
    endpoints,
    demo,
    paths,
    certificateCreated: tls.created,
    async close() {
      await Promise.allSettled(closers.reverse().map((c) => c()));
      await directory.close();
    },
  };
}

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@mailstack/core';
import { openFileDirectory } from '@mailstack/directory';
import { createMaildirStore } from '@mailstack/maildir';
import { createLmtpServer } from '@mailstack/mda';
import type { StackConfig } from './defaults.ts';
import { type DemoAccounts, ensureDemoAccounts } from './demo-accounts.ts';
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
  paths: { data: string; mail: string; directory: string; tls: string };
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

  const closers: Array<() => Promise<void>> = [];
  const endpoints: Endpoint[] = [];
  try {
    const lmtp = createLmtpServer({ directory, store, logger, name: config.hostname });
    const bound = await lmtp.listen(config.ports.lmtp, config.bindAddress);
    closers.push(() => lmtp.close());
    if ('port' in bound)
      endpoints.push({ agent: 'mda', protocol: 'lmtp', host: bound.host, port: bound.port });
  } catch (err) {
    await Promise.allSettled(closers.map((c) => c()));
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

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createImapServer } from '@mailstack/imap';
import { createMaildirStore } from '@mailstack/maildir';
import { createLmtpServer } from '@mailstack/mda';
import { createHostMetrics, type HostMetrics } from '@mailstack/metrics';
import { createSubmissionServer } from '@mailstack/msa';
import { startDeliveryWorker } from '@mailstack/mta';
import { createPop3Server } from '@mailstack/pop3';
import { openFileSpool } from '@mailstack/queue';
import { memoryDirectory, type TempDir, tempDir } from '@mailstack/testkit';
import {
  folderReady,
  listenerReady,
  type ReadinessCheck,
  STANDARD_SERVICES,
  startWebAgent,
} from '@mailstack/web';
import { makeCertificate } from './tls.ts';

export const ALICE = { user: 'alice@example.test', pass: 'alice-pw' };

export interface OpsHost {
  ports: { msa: number; lmtp: number; imap: number; pop3: number; web: number };
  metrics: HostMetrics;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * A small host wired the way the stack wires metrics: submission, the queue runner over LMTP
 * to the MDA, IMAP and POP3, all feeding one HostMetrics, with every listener and the spool
 * tracked and the web agent serving /metrics and /readyz. Cleartext AUTH on loopback, so
 * tests can log in with a line client.
 */
export async function startOpsHost(): Promise<OpsHost> {
  const dir: TempDir = await tempDir('mailstack-ops-');
  const closers: Array<() => Promise<unknown>> = [];
  try {
    const tls = await makeCertificate(dir.path);
    const key = await readFile(tls.keyPath);
    const cert = await readFile(tls.certPath);
    const metrics = createHostMetrics();
    const directory = memoryDirectory({ users: { [ALICE.user]: ALICE.pass } });
    const store = createMaildirStore({ root: join(dir.path, 'mail'), hostname: 'mail.example.test' });
    await store.ensureUser(ALICE.user);
    const spool = await openFileSpool(join(dir.path, 'spool'), { metrics });
    metrics.trackQueue(spool);

    const readiness: ReadinessCheck[] = [
      folderReady('spool', spool.root),
      folderReady('store', join(dir.path, 'mail')),
    ];
    const listen = async (
      agent: string,
      protocol: string,
      server: {
        listen(port: number, host: string): Promise<object>;
        close(): Promise<void>;
        connections: number;
      },
    ) => {
      const bound = (await server.listen(0, '127.0.0.1')) as { port: number };
      closers.push(() => server.close());
      const untrack = metrics.trackListener({ agent, protocol, port: bound.port }, server);
      closers.push(async () => untrack());
      readiness.push(listenerReady(agent, bound.port));
      return bound.port;
    };
    const common = {
      directory,
      hostname: 'mail.example.test',
      tls: { key, cert },
      allowCleartextAuthOnLoopback: true,
      metrics,
    };
    const lmtp = await listen('mda', 'lmtp', createLmtpServer({ directory, store, metrics }));
    const worker = startDeliveryWorker({
      spool,
      hostname: 'mail.example.test',
      lmtp: { host: '127.0.0.1', port: lmtp },
      transfer: { directory },
    });
    closers.push(() => worker.stop());
    const msa = await listen(
      'msa',
      'submission',
      createSubmissionServer({ ...common, spool, implicitTls: false }),
    );
    const imap = await listen('imap', 'imap', createImapServer({ ...common, store }));
    const pop3 = await listen('pop3', 'pop3', createPop3Server({ ...common, store }));
    const web = await startWebAgent({
      port: 0,
      metrics,
      readiness,
      mailHost: { hostname: 'mail.example.test', domain: 'example.test', services: [...STANDARD_SERVICES] },
    });
    closers.push(() => web.close());
    return {
      ports: { msa, lmtp, imap, pop3, web: web.port },
      metrics,
      dataDir: dir.path,
      close: async () => {
        for (const close of closers.reverse()) await close().catch(() => {});
        await dir.cleanup();
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {});
    await dir.cleanup();
    throw err;
  }
}

import { createSubmissionServer } from '@mailstack/msa';
import type { SharedState } from '../shared.ts';
import { listenAll, type RunningAgent } from './listen.ts';
import { smtpListenerLimits } from './smtp-limits.ts';

/** Submission: 587-style STARTTLS and 465-style implicit TLS, AUTH required, into the spool. */
export async function startMsa(shared: SharedState): Promise<RunningAgent> {
  const { config, logger } = shared;
  const [directory, spool, authThrottle, sendingStore] = await Promise.all([
    shared.directory(),
    shared.spool(),
    shared.authThrottle(),
    shared.sendingStore(),
  ]);
  const { messagesPerHour, recipientsPerMessage } = config.limits.sending;
  return listenAll(
    shared,
    'msa',
    (tls) => (tls === 'implicit' ? 'submissions (TLS)' : 'submission (STARTTLS)'),
    (listener, tls) => {
      if (!tls) throw new Error('msa: a listener without TLS'); // the config check refuses it
      return createSubmissionServer({
        directory,
        spool,
        tls,
        implicitTls: listener.tls === 'implicit',
        hostname: config.hostname,
        allowCleartextAuthOnLoopback: config.dev.cleartextAuthOnLoopback,
        authThrottle,
        sendingStore,
        logger,
        metrics: shared.metrics,
        ...smtpListenerLimits(config),
        limits: {
          ...(messagesPerHour === null ? {} : { messagesPerHour }),
          ...(recipientsPerMessage === null ? {} : { recipientsPerMessage }),
        },
      });
    },
  );
}

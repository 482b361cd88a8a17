import {
  bufferBlob,
  type Logger,
  type QueuedMessage,
  type RecipientState,
  type Spool,
  type SpoolEvent,
  type SpoolEventHandler,
  silentLogger,
} from '@mailstack/core';
import { buildDsn, DEFAULT_MAX_ORIGINAL_BYTES, type Dsn } from './build-dsn.ts';
import { wantsNotice } from './notify-rules.ts';
import { readOriginal } from './original.ts';
import type { DsnAction, DsnRecipientReport } from './report-fields.ts';

export interface DsnNotifierOptions {
  /** Where DSNs are enqueued: the same spool, so they leave through the normal delivery path. */
  spool: Pick<Spool, 'enqueue'>;
  /** This MTA's host name (Reporting-MTA, MAILER-DAEMON@host). */
  reportingMta: string;
  logger?: Logger;
  /** Milliseconds since the epoch (default Date.now): the DSN's Date. */
  clock?: () => number;
  /** Send delay notices to recipients that gave no NOTIFY (default false, like Postfix). */
  delayWarnings?: boolean;
  /** Also send a copy of every failure report, header only, to this address. */
  postmaster?: string;
  /**
   * Report a failed message from the null sender (a bounce that bounced) to `postmaster`, header
   * only (Postfix's notify_classes=2bounce). Default false: such failures are only logged. Never
   * about a message to the postmaster itself, so a failing postmaster cannot loop.
   */
  doubleBounces?: boolean;
  /** Originals above this come back as their header only (default 1 MiB). */
  maxOriginalBytes?: number;
  /** The spool's give-up time, for Will-Retry-Until in delay notices (default 5 days). */
  giveUpAfterMs?: number;
  /**
   * For a delivered recipient that asked for SUCCESS: 'delivered' (final delivery), 'relayed'
   * (passed to a peer without DSN support), 'expanded', or null when a DSN-capable peer took the
   * duty over (RFC 3461 5.2.2: then we send nothing). Default: 'delivered'.
   */
  successAction?: (message: QueuedMessage, state: RecipientState) => DsnAction | null;
  /** The host whose reply a recipient's state holds (Remote-MTA), when the caller knows it. */
  remoteMta?: (message: QueuedMessage, state: RecipientState) => string | undefined;
}

const FIVE_DAYS = 5 * 24 * 3600_000;

/**
 * The spool's events → DSNs (RFC 3461 6): register with `spool.onEvent(createDsnNotifier(...))`.
 * One DSN per event for the recipients whose NOTIFY asks for it; never one about a message from
 * the null sender (no DSN about a DSN). A rejected enqueue rejects the handler, and the spool
 * raises the event again later, so a notice is sent at least once.
 */
export function createDsnNotifier(options: DsnNotifierOptions): SpoolEventHandler {
  const log = (options.logger ?? silentLogger).child({ agent: 'mta', component: 'dsn' });
  const clock = options.clock ?? Date.now;
  const maxOriginalBytes = options.maxOriginalBytes ?? DEFAULT_MAX_ORIGINAL_BYTES;
  const giveUpAfterMs = options.giveUpAfterMs ?? FIVE_DAYS;

  function report(event: SpoolEvent, state: RecipientState): DsnRecipientReport | null {
    const message = event.message;
    const action: DsnAction | null =
      event.type === 'failed'
        ? 'failed'
        : event.type === 'delay'
          ? 'delayed'
          : options.successAction
            ? options.successAction(message, state)
            : 'delivered';
    if (action === null) return null;
    const remoteMta = options.remoteMta?.(message, state);
    return {
      recipient: state.recipient,
      action,
      ...(state.lastReply ? { reply: state.lastReply } : {}),
      ...(remoteMta ? { remoteMta } : {}),
      ...(state.lastAttemptAt ? { lastAttemptAt: state.lastAttemptAt } : {}),
      ...(state.failure === 'expired' ? { expired: true } : {}),
      ...(action === 'delayed'
        ? { willRetryUntil: new Date(message.arrivedAt.getTime() + giveUpAfterMs) }
        : {}),
    };
  }

  async function send(dsn: Dsn, queueId: string, to: string): Promise<void> {
    const dsnId = await options.spool.enqueue(dsn.envelope, bufferBlob(dsn.bytes));
    log.info(
      {
        event: 'dsn-queued',
        queueId,
        dsnQueueId: dsnId,
        kind: dsn.kind,
        to,
        messageId: dsn.messageId,
        returned: dsn.returned,
      },
      'dsn queued',
    );
  }

  return async (event) => {
    const message = event.message;
    const queueId = message.id;
    const postmaster = options.postmaster;
    const doubleBounce =
      message.envelope.mailFrom === '' &&
      event.type === 'failed' &&
      options.doubleBounces === true &&
      postmaster !== undefined &&
      !message.envelope.rcptTo.some((r) => r.address.toLowerCase() === postmaster.toLowerCase());
    if (message.envelope.mailFrom === '' && !doubleBounce) {
      // A bounce that bounced is worth a line in the log: nobody else will hear of it.
      const level = event.type === 'failed' ? 'info' : 'debug';
      log[level](
        { event: 'dsn-suppressed', queueId, kind: event.type },
        'no dsn about a message from the null sender',
      );
      return;
    }
    const reports = (
      doubleBounce
        ? event.recipients
        : event.recipients.filter((s) => wantsNotice(event.type, s.recipient, options))
    )
      .map((state) => report(event, state))
      .filter((r): r is DsnRecipientReport => r !== null);
    if (reports.length === 0) return;

    const wantsFull = event.type === 'failed' && message.envelope.params.ret !== 'HDRS' && !doubleBounce;
    const bytes = await readOriginal(message.blob, { full: wantsFull, maxBytes: maxOriginalBytes });
    const common = {
      reportingMta: options.reportingMta,
      envelope: message.envelope,
      recipients: reports,
      original: { bytes, size: message.blob.size },
      arrivedAt: message.arrivedAt,
      queueId,
      maxOriginalBytes,
    };
    if (doubleBounce && postmaster) {
      const notice = buildDsn({
        ...common,
        date: new Date(clock()),
        to: postmaster,
        returnContent: 'headers',
      });
      await send(notice, queueId, postmaster);
      return;
    }
    await send(buildDsn({ ...common, date: new Date(clock()) }), queueId, message.envelope.mailFrom);
    if (options.postmaster && event.type === 'failed') {
      const copy = buildDsn({
        ...common,
        date: new Date(clock()),
        to: options.postmaster,
        returnContent: 'headers',
      });
      await send(copy, queueId, options.postmaster);
    }
  };
}

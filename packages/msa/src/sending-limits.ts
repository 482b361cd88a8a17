import { createMemorySendingStore, type SendingCountStore } from './sending-store.ts';

/** Per-user sending limits; a missing number means no limit. */
export interface SendingLimits {
  /** Messages accepted per user in any 60-minute window (`451 4.7.1` beyond). */
  messagesPerHour?: number;
  /** Recipients per message (`452 4.5.3` beyond). */
  recipientsPerMessage?: number;
}

export interface LimitOptions extends SendingLimits {
  /** Per-login overrides of the defaults above. */
  perUser?: Record<string, SendingLimits>;
}

const HOUR = 3_600_000;

/**
 * Counts accepted messages per user over a sliding hour. The counts live in `store`: in
 * memory by default (one process, forgotten on restart); a host's submission processes share
 * the SQLite store (sending-store.ts), so the budget is counted once and survives restarts.
 */
export class SendingLimiter {
  readonly #options: LimitOptions;
  readonly #now: () => number;
  readonly #store: SendingCountStore;

  constructor(
    options: LimitOptions = {},
    now: () => number = Date.now,
    store: SendingCountStore = createMemorySendingStore(),
  ) {
    this.#options = options;
    this.#now = now;
    this.#store = store;
  }

  limitsFor(user: string): SendingLimits {
    return { ...this.#options, ...this.#options.perUser?.[user] };
  }

  /** True while the user may start another message. */
  mayStartMessage(user: string): boolean {
    const max = this.limitsFor(user).messagesPerHour;
    return max === undefined || this.#store.count(user, this.#now() - HOUR) < max;
  }

  mayAddRecipient(user: string, recipientsSoFar: number): boolean {
    const max = this.limitsFor(user).recipientsPerMessage;
    return max === undefined || recipientsSoFar < max;
  }

  recordMessage(user: string): void {
    const now = this.#now();
    this.#store.record(user, now, now - HOUR);
  }
}

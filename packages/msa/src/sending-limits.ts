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
 * Counts accepted messages per user over a sliding hour, in memory: a restart forgets the
 * counts (one process; a shared store is for the scale-out backend).
 */
export class SendingLimiter {
  readonly #options: LimitOptions;
  readonly #now: () => number;
  readonly #sent = new Map<string, number[]>();

  constructor(options: LimitOptions = {}, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  limitsFor(user: string): SendingLimits {
    return { ...this.#options, ...this.#options.perUser?.[user] };
  }

  /** True while the user may start another message. */
  mayStartMessage(user: string): boolean {
    const max = this.limitsFor(user).messagesPerHour;
    return max === undefined || this.#recent(user).length < max;
  }

  mayAddRecipient(user: string, recipientsSoFar: number): boolean {
    const max = this.limitsFor(user).recipientsPerMessage;
    return max === undefined || recipientsSoFar < max;
  }

  recordMessage(user: string): void {
    const list = this.#recent(user);
    list.push(this.#now());
    this.#sent.set(user, list);
  }

  #recent(user: string): number[] {
    const since = this.#now() - HOUR;
    const list = (this.#sent.get(user) ?? []).filter((t) => t > since);
    if (list.length === 0) this.#sent.delete(user);
    else this.#sent.set(user, list);
    return list;
  }
}

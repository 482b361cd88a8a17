/** A counting semaphore: at most `max` holders at once, waiters served in arrival order. */
export class Limiter {
  private readonly max: number;
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(max: number) {
    this.max = Math.max(1, max);
  }

  get idle(): boolean {
    return this.active === 0 && this.waiting.length === 0;
  }

  async acquire(): Promise<() => void> {
    if (this.active < this.max) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // the slot passes straight to the next waiter, so `active` stays as it is
      if (next) next();
      else this.active--;
    };
  }
}

/** One Limiter per key (a destination), dropped again once idle. */
export class KeyedLimiter {
  private readonly max: number;
  private readonly limiters = new Map<string, Limiter>();

  constructor(max: number) {
    this.max = max;
  }

  async acquire(key: string): Promise<() => void> {
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new Limiter(this.max);
      this.limiters.set(key, limiter);
    }
    const release = await limiter.acquire();
    return () => {
      release();
      if (limiter.idle) this.limiters.delete(key);
    };
  }
}

/**
 * Open connections per client address, for the per-client cap. `::ffff:192.0.2.1` and
 * `192.0.2.1` are one client (a dual-stack listener reports IPv4 clients mapped).
 */
export class ClientCounter {
  readonly #counts = new Map<string, number>();

  /** Counts one more connection from `address`; returns how many are open from it now. */
  add(address: string | undefined): number {
    const key = clientKey(address);
    const n = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, n);
    return n;
  }

  remove(address: string | undefined): void {
    const key = clientKey(address);
    const n = (this.#counts.get(key) ?? 0) - 1;
    if (n > 0) this.#counts.set(key, n);
    else this.#counts.delete(key);
  }
}

export function clientKey(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address.toLowerCase();
}

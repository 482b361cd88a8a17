/**
 * Runs `prepare` over `items` up to `ahead` at a time and hands the results to `consume`
 * strictly in order, one at a time: a FETCH or SEARCH over many messages overlaps the store's
 * reads (file opens, reads, index lookups) with each other and with writing the answers, while
 * the client still sees them in order. If `consume` throws, the results prepared but not
 * consumed go to `discard` (open streams closed) and the error propagates.
 */
export async function readAhead<T, R>(
  items: readonly T[],
  ahead: number,
  prepare: (item: T) => Promise<R>,
  consume: (result: R) => Promise<void> | void,
  discard: (result: R) => void = () => {},
): Promise<void> {
  const pending: Array<Promise<R>> = [];
  let next = 0;
  const fill = (): void => {
    while (next < items.length && pending.length < ahead) {
      const p = prepare(items[next++]!);
      // Awaited in turn below; until then a rejection must not count as unhandled.
      p.catch(() => {});
      pending.push(p);
    }
  };
  fill();
  try {
    while (pending.length > 0) {
      const result = await pending.shift()!;
      fill();
      await consume(result);
    }
  } catch (err) {
    for (const p of pending.splice(0)) p.then(discard, () => {});
    throw err;
  }
}

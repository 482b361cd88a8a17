import type { MailDns } from './dns-resolver.ts';

/**
 * Remembers DNS answers for `ttlMs` (and shares one query among concurrent callers), so a
 * busy destination costs its MX and address queries once per `ttlMs` instead of per message.
 * The router still orders (and shuffles) on every call. Failures are not kept: a deferral is
 * looked up again on the next attempt.
 */
export function cachedDns(dns: MailDns, ttlMs: number, now: () => number = Date.now): MailDns {
  if (ttlMs <= 0) return dns;
  const cache = new Map<string, { answer: Promise<unknown>; expires: number }>();
  const remember = <T>(key: string, query: () => Promise<T>): Promise<T> => {
    const hit = cache.get(key);
    if (hit && hit.expires > now()) return hit.answer as Promise<T>;
    // a long-running worker meets many names: drop what has expired now and then
    if (cache.size > 5000) for (const [k, v] of cache) if (v.expires <= now()) cache.delete(k);
    const answer = query();
    cache.set(key, { answer, expires: now() + ttlMs });
    answer.catch(() => {
      if (cache.get(key)?.answer === answer) cache.delete(key);
    });
    return answer;
  };
  return {
    mx: (domain) => remember(`MX ${domain.toLowerCase()}`, () => dns.mx(domain)),
    addresses: (host) => remember(`ADDR ${host.toLowerCase()}`, () => dns.addresses(host)),
  };
}

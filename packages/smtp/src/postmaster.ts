/**
 * RFC 5321 4.5.1: `RCPT TO:<Postmaster>` without a domain must be accepted, and names the
 * postmaster of this host. Any case of the word; nothing else comes without a domain.
 */
export function isBarePostmaster(address: string): boolean {
  return address.toLowerCase() === 'postmaster';
}

/**
 * The domain a bare postmaster belongs to (Postfix appends `$myorigin`, by default the host
 * name): the host name, or its nearest parent that is one of our domains (`mx.example.test`
 * serves `example.test`), so the address resolves to somebody in the directory.
 */
export function postmasterDomain(hostname: string, isLocalDomain: (domain: string) => boolean): string {
  const labels = hostname.toLowerCase().split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const domain = labels.slice(i).join('.');
    if (isLocalDomain(domain)) return domain;
  }
  return hostname.toLowerCase();
}

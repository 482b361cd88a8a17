import { BlockList, isIP } from 'node:net';

/** `::ffff:192.0.2.1` → `192.0.2.1`: IPv4 clients on a dual-stack socket match IPv4 CIDRs. */
export function plainAddress(ip: string): string {
  return ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

/**
 * The networks allowed to relay. Parsed once; a malformed entry throws at start-up rather
 * than silently trusting nobody (or everybody).
 */
export function trustedNetworks(cidrs: string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const entry of cidrs) {
    const [address, prefixText] = entry.trim().split('/');
    const family = isIP(address ?? '');
    if (!address || family === 0) throw new Error(`trustedNetworks: not an address: ${entry}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefixText === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const prefix = Number(prefixText);
    if (!/^\d+$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) {
      throw new Error(`trustedNetworks: bad prefix length: ${entry}`);
    }
    list.addSubnet(address, prefix, type);
  }
  return (ip) => {
    const bare = plainAddress(ip);
    const family = isIP(bare);
    if (family === 0) return false;
    return list.check(bare, family === 4 ? 'ipv4' : 'ipv6');
  };
}

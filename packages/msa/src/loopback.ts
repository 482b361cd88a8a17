import net from 'node:net';

/** 127.0.0.0/8, ::1 and their IPv4-mapped form: the development-only cleartext AUTH switch. */
export function isLoopback(ip: string): boolean {
  const bare = ip.replace(/^::ffff:/i, '');
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  return bare === '::1';
}

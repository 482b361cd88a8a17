/** Splits `local@domain` at the last `@`; domain is lower-cased, local part kept as given. */
export function splitAddress(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  return { local: address.slice(0, at), domain: address.slice(at + 1).toLowerCase() };
}

/**
 * A pragmatic RFC 5321 mailbox check: dot-atom or quoted local part, a domain of labels or
 * an address literal. UTF-8 is allowed (RFC 6531). No CR, LF, NUL, spaces outside quotes.
 */
export function isValidMailbox(address: string): boolean {
  if (address.length > 320) return false;
  const parts = splitAddress(address);
  if (!parts) return false;
  const { local, domain } = parts;
  if (local.length > 64 * 4) return false;
  if (/[\0\r\n]/.test(address)) return false;
  const quoted = /^"(?:[^"\\]|\\.)*"$/.test(local);
  const dotAtom = /^[^\s"(),.:;<>@[\\\]]+(?:\.[^\s"(),.:;<>@[\\\]]+)*$/u.test(local);
  if (!quoted && !dotAtom) return false;
  if (/^\[.+\]$/.test(domain)) return true;
  return /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)(?:\.(?!-)[\p{L}\p{N}-]{1,63}(?<!-))*$/u.test(domain);
}

/**
 * 127.0.0.0/8, ::1 and their IPv4-mapped forms: where a development-only switch (cleartext
 * AUTH on loopback) may apply. Text checks only, so core stays free of I/O modules.
 */
export function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  const bare = ip.replace(/^::ffff:/i, '');
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare)) return true;
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
}
